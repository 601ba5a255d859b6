import { getRedisEventStore, isInvalidArgumentError, silentLogger } from "@streamstore/core";
import { createFakeRedis } from "@streamstore/testing";
import { describe, expect, it } from "vitest";
import {
  createInMemoryReadModelStore,
  createProjectionReader,
  createReactorDeadLetters,
  createRedisReadModelStore,
  defineReactor,
  discoverProjections,
  discoverReactors,
  getProjectionStatus,
  getReactorStatus,
  startProjection,
  startReactor,
} from "../src/index.js";
import { accountsProjection, bankEvents } from "./support/fixtures.js";

// Bad input to the package's entry points gets a typed error at once, and nothing is written:
// before, a read model or prefix of another projection stalled a runner silently (every commit
// fenced), and a value that is not a client gave TypeErrors, retried forever by startReactor or
// left as an unhandled rejection by getProjectionStatus.

describe("startProjection with a read model that is not the projection's", () => {
  it("refuses it at once, before anything is written (it would fence every commit forever)", async () => {
    // Given a projection "balances" and read models of another name and of another prefix
    const balances = accountsProjection({ name: "balances" });
    const redis = createFakeRedis();
    for (const readModel of [
      createInMemoryReadModelStore({ name: "totals" }),
      createRedisReadModelStore({ redis, prefix: "other", name: "balances" }),
    ]) {
      // When a runner is started with it, under the prefix "shop"
      let caught: unknown;
      try {
        startProjection(balances, { redis, prefix: "shop", readModel });
      } catch (error) {
        caught = error;
      }
      // Then it throws a typed error naming the read model, and wrote nothing
      expect(isInvalidArgumentError(caught), String(caught)).toBe(true);
      expect(String((caught as Error).message)).toContain("readModel");
    }
    expect(await redis.keys("*")).toEqual([]);
  });
});

describe("a store and a prefix option that disagree", () => {
  it("startProjection and startReactor refuse them at once, writing nothing", async () => {
    // Given a store under "shop" on the fake
    const redis = createFakeRedis();
    const store = getRedisEventStore({
      redis,
      events: bankEvents,
      prefix: "shop",
      logger: silentLogger,
    });
    const reactor = defineReactor(bankEvents, {
      name: "mailer",
      source: ["account"],
      handlers: { Deposited: async () => {} },
    });
    for (const start of [
      () => startProjection(accountsProjection(), { redis, store, prefix: "other" }),
      () => startReactor(reactor, { redis, store, prefix: "other" }),
    ]) {
      // When a runner is started with it and the prefix "other"
      let caught: unknown;
      try {
        start();
      } catch (error) {
        caught = error;
      }
      // Then a typed error names the prefix
      expect(isInvalidArgumentError(caught), String(caught)).toBe(true);
      expect(String((caught as Error).message)).toContain("prefix");
    }
    expect(await redis.keys("*")).toEqual([]);
  });
});

describe("a redis option that is not an ioredis client", () => {
  it("startProjection and startReactor refuse it at once with a typed error", () => {
    // Given something that is not a client
    const redis = {} as never;
    const reactor = defineReactor(bankEvents, {
      name: "mailer",
      source: ["account"],
      handlers: { Deposited: async () => {} },
    });
    for (const start of [
      () => startProjection(accountsProjection(), { redis }),
      () => startReactor(reactor, { redis }),
    ]) {
      // When a runner is started with it
      let caught: unknown;
      try {
        start();
      } catch (error) {
        caught = error;
      }
      // Then a typed error names redis and says what to pass
      expect(isInvalidArgumentError(caught), String(caught)).toBe(true);
      expect(String((caught as Error).message)).toContain("invalid redis: pass an ioredis client");
    }
  });
});

describe("the read-side entry points given a redis that is not a client", () => {
  const redis = {} as never;
  const reactor = defineReactor(bankEvents, {
    name: "mailer",
    source: ["account"],
    handlers: { Deposited: async () => {} },
  });
  it.each([
    ["createProjectionReader", () => createProjectionReader(accountsProjection(), { redis })],
    ["getProjectionStatus", () => getProjectionStatus(accountsProjection(), { redis })],
    ["getReactorStatus", () => getReactorStatus(reactor, { redis })],
    ["discoverProjections", () => discoverProjections({ redis })],
    ["discoverReactors", () => discoverReactors({ redis })],
    ["createReactorDeadLetters", () => createReactorDeadLetters(reactor, { redis })],
  ])("%s refuses it with a typed error (no TypeError, no unhandled rejection)", async (_, call) => {
    // When the entry point is called with {}
    let caught: unknown;
    try {
      await call();
    } catch (error) {
      caught = error;
    }
    // Then it is an InvalidArgumentError naming redis
    expect(isInvalidArgumentError(caught), String(caught)).toBe(true);
    expect(String((caught as Error).message)).toContain("invalid redis: pass an ioredis client");
  });
});
