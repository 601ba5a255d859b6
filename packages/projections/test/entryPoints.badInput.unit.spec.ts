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

const reactor = defineReactor(bankEvents, {
  name: "mailer",
  source: ["account"],
  handlers: { Deposited: async () => {} },
});

/** What a call threw (or its promise rejected with); undefined when it did neither. */
async function refusalOf(call: () => unknown): Promise<unknown> {
  try {
    await call();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** Asserts a typed InvalidArgumentError whose message contains `says`. */
function expectInvalidArgument(caught: unknown, says: string): void {
  expect(isInvalidArgumentError(caught), String(caught)).toBe(true);
  expect(String((caught as Error).message)).toContain(says);
}

describe("runners given options that belong to something else", () => {
  it("refuse a read model of another name or prefix, and a prefix that is not the store's, writing nothing", async () => {
    // Given a fake, a store under "shop", and read models of another name and of another prefix
    const redis = createFakeRedis();
    const store = getRedisEventStore({
      redis,
      events: bankEvents,
      prefix: "shop",
      logger: silentLogger,
    });
    const balances = accountsProjection({ name: "balances" });
    const refused: [() => unknown, string][] = [
      [
        () =>
          startProjection(balances, {
            redis,
            prefix: "shop",
            readModel: createInMemoryReadModelStore({ name: "totals" }),
          }),
        "readModel",
      ],
      [
        () =>
          startProjection(balances, {
            redis,
            prefix: "shop",
            readModel: createRedisReadModelStore({ redis, prefix: "other", name: "balances" }),
          }),
        "readModel",
      ],
      [() => startProjection(balances, { redis, store, prefix: "other" }), "prefix"],
      [() => startReactor(reactor, { redis, store, prefix: "other" }), "prefix"],
    ];
    // When each runner is started / Then each throws a typed error naming the option
    for (const [start, option] of refused) expectInvalidArgument(await refusalOf(start), option);
    // And nothing was written (a runner that started would have written its membership)
    expect(await redis.keys("*")).toEqual([]);
  });
});

describe("entry points given a redis that is not an ioredis client", () => {
  const redis = {} as never;
  it.each([
    ["startProjection", () => startProjection(accountsProjection(), { redis })],
    ["startReactor", () => startReactor(reactor, { redis })],
    ["createProjectionReader", () => createProjectionReader(accountsProjection(), { redis })],
    ["getProjectionStatus", () => getProjectionStatus(accountsProjection(), { redis })],
    ["getReactorStatus", () => getReactorStatus(reactor, { redis })],
    ["discoverProjections", () => discoverProjections({ redis })],
    ["discoverReactors", () => discoverReactors({ redis })],
    ["createReactorDeadLetters", () => createReactorDeadLetters(reactor, { redis })],
  ])("%s refuses it with a typed error (no TypeError, no unhandled rejection)", async (_, call) => {
    // When the entry point is called with {} / Then it is an InvalidArgumentError naming redis
    expectInvalidArgument(await refusalOf(call), "invalid redis: pass an ioredis client");
  });
});
