// docs/testing.md. Type-checked only: copy a block into a *.spec.ts of your own to run it.
import { coreFunctionLibrary, getRedisEventStore, handleCommand } from "@streamstore/core";
import { startProjection } from "@streamstore/projections";
import {
  createFakeRedis,
  deciderSpecification,
  projectionSpecification,
  startRedisServer,
  startTcpProxy,
} from "@streamstore/testing";
import { createContractContext, testEventStore } from "@streamstore/testing/contract";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { account, balances, events, InsufficientFunds } from "./bank.js";

// #region fake
describe("account on the fake", () => {
  it("applies a deposit and projects the balance", async () => {
    // Given
    const redis = createFakeRedis();
    const store = getRedisEventStore({ redis, events, serverCheck: "off" });
    const runner = startProjection(balances, { redis, store });
    // When
    await handleCommand(store, "account-1", account, { type: "Deposit", amount: 10 });
    // Then
    await runner.waitUntilCaughtUp();
    expect(await runner.get("account-1")).toEqual({ balance: 10, movements: 1 });
    await runner.stop();
  });
});
// #endregion

// #region decider-spec
const given = deciderSpecification(account);

describe("account decider", () => {
  it("records a deposit", async () => {
    await given([{ type: "Opened", data: { owner: "Ada" } }])
      .when({ type: "Deposit", amount: 10 })
      .then([{ type: "Deposited", data: { amount: 10, currency: "EUR" } }]);
  });
  it("refuses a withdrawal the balance does not cover", async () => {
    await given([{ type: "Deposited", data: { amount: 5, currency: "EUR" } }])
      .when({ type: "Withdraw", amount: 10 })
      .thenThrows(InsufficientFunds);
  });
  it("opens an account once", async () => {
    await given([{ type: "Opened", data: { owner: "Ada" } }])
      .when({ type: "Open", owner: "Ada" })
      .thenNothingHappened();
  });
});
// #endregion

// #region projection-spec
describe("balances projection", () => {
  it("folds deposits and withdrawals, exactly once", async () => {
    await projectionSpecification(balances)
      .givenEvents(
        { streamName: "account-1", type: "Deposited", data: { amount: 10, currency: "EUR" } },
        { streamName: "account-1", type: "Withdrawn", data: { amount: 3 } },
      )
      .thenReadModel("account-1", { balance: 7, movements: 2 });
  });
});
// #endregion

// #region contract
testEventStore("the fake", async () => createContractContext(createFakeRedis()));
// #endregion

// #region redis-server
describe("on a private redis-server", () => {
  let server: Awaited<ReturnType<typeof startRedisServer>>;
  beforeAll(async () => {
    server = await startRedisServer({ args: ["--appendonly", "yes"] });
  });
  afterAll(() => server.stop());

  it("survives a lost reply", async () => {
    // Cut the connection right after Redis ran the append script, before the reply arrives.
    let cut = false;
    const proxy = await startTcpProxy({
      targetPort: server.port,
      onClientData: (chunk) => {
        if (cut || !chunk.includes(coreFunctionLibrary.functions.append.name)) return "forward";
        cut = true;
        return "drop-connection";
      },
    });
    const redis = new Redis(proxy.port);
    const store = getRedisEventStore({ redis, events });
    const result = await store.append("account-1", [
      { id: "e-1", type: "Opened", data: { owner: "Ada" } },
    ]);
    expect(result.nextExpectedVersion).toBe(1); // ioredis resent it: stored once
    redis.disconnect();
    await proxy.close();
  });
});
// #endregion
