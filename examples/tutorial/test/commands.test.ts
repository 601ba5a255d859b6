// The command handling on the in-memory fake: the same code as on Redis, no server needed.
import { createFakeRedis } from "@streamstore/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAccountStore, execute } from "../src/commands.js";
import { AccountError } from "../src/decider.js";

// A new, empty fake for each test.
let redis = createFakeRedis();
beforeEach(() => {
  redis = createFakeRedis();
});
afterEach(() => redis.quit());

describe("execute", () => {
  it("appends the decided events to account-<id> and returns the new state", async () => {
    // Given an open account
    const store = createAccountStore(redis, "test");
    await execute(store, "ada", { type: "Open", owner: "Ada" });

    // When money is deposited
    const result = await execute(store, "ada", { type: "Deposit", amount: 100 });

    // Then the stream holds both events and the state is the new balance
    expect(result.newState).toEqual({ open: true, balance: 100 });
    expect(await store.version("account-ada")).toBe(2);
  });

  it("appends nothing when the command is refused", async () => {
    const store = createAccountStore(redis, "test");
    await execute(store, "ada", { type: "Open", owner: "Ada" });

    await expect(execute(store, "ada", { type: "Withdraw", amount: 1 })).rejects.toThrow(
      AccountError,
    );

    expect(await store.version("account-ada")).toBe(1);
  });
});
