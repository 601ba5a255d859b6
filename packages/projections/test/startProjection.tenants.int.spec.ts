import { getRedisEventStore, silentLogger } from "@streamstore/core";
import { type RedisServerHandle, startRedisServer } from "@streamstore/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProjectionReader, defineProjection, startProjection } from "../src/index.js";
import { bankEvents } from "./support/fixtures.js";

// Issue 8, security: two tenants (key prefixes) on one Redis, with identical stream names and the
// same projection, never see each other's streams, logs, read models or dead letters. Also for a
// prefix nested in the other ("t" and "t:eu"). On a private redis-server, so that every key on
// it can be accounted for.

const totals = defineProjection(bankEvents, {
  name: "totals",
  version: 1,
  source: ["account"],
  key: (event) => event.streamName,
  initialState: () => ({ total: 0, events: 0 }),
  handlers: {
    Deposited: (draft, event) => {
      draft.total += event.data.amount;
      draft.events++;
    },
  },
});

let server: RedisServerHandle;
let redis: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url, { maxRetriesPerRequest: null });
});

afterAll(async () => {
  await redis.quit();
  await server.stop();
});

describe("startProjection", () => {
  it.each([
    ["tenant-a", "tenant-b"],
    ["t", "t:eu"],
  ])("keeps tenants %s and %s apart: streams, logs, read models and dead letters", async (a, b) => {
    // Given two tenants appending to the same stream names with different amounts
    const tenants = [a, b].map((prefix, index) => ({
      prefix,
      amount: index === 0 ? 1 : 100,
      store: getRedisEventStore({ redis, events: bankEvents, prefix, logger: silentLogger }),
    }));
    for (const { store, amount } of tenants) {
      for (let i = 0; i < 6; i++) {
        await store.append(`account-${i % 2}`, [{ type: "Deposited", data: { amount } }]);
      }
    }
    // And a corrupt entry in tenant b's log only
    const [tenantA, tenantB] = tenants as [(typeof tenants)[0], (typeof tenants)[0]];
    await redis.xadd(
      tenantB.store.keys.log("account", 0),
      "*",
      "a",
      "0",
      "v",
      "9",
      "t",
      "Deposited",
    );

    // When the same projection runs for each tenant
    const runners = tenants.map(({ store }) =>
      startProjection(totals, { redis, store, logger: silentLogger }),
    );
    try {
      for (const runner of runners)
        await runner.waitUntilCaughtUp(undefined, { timeoutMs: 20_000 });

      // Then each tenant's store reads only its own events, at its own versions
      for (const { store, amount } of tenants) {
        const amounts: number[] = [];
        for await (const event of store.read("account-0"))
          if (event.type === "Deposited") amounts.push(event.data.amount);
        expect(amounts).toEqual([amount, amount, amount]);
        expect(await store.version("account-1")).toBe(3);
        const log = await redis.xrange(store.keys.log("account", 0), "-", "+");
        expect(log).toHaveLength(store === tenantB.store ? 7 : 6);
      }
      // And each tenant's runner and readers see only its own read model and dead letters
      const [runnerA, runnerB] = runners as [(typeof runners)[0], (typeof runners)[0]];
      expect(await runnerA.get("account-0")).toEqual({ total: 3, events: 3 });
      expect(await runnerB.get("account-0")).toEqual({ total: 300, events: 3 });
      const readerA = createProjectionReader(totals, { redis, prefix: tenantA.prefix });
      const readerB = createProjectionReader(totals, { redis, prefix: tenantB.prefix });
      expect(await readerA.get("account-1")).toEqual({ total: 3, events: 3 });
      expect(await readerB.get("account-1")).toEqual({ total: 300, events: 3 });
      expect(await runnerA.deadLetters.list()).toEqual([]);
      expect(await runnerB.deadLetters.list()).toHaveLength(1);
      expect((await runnerA.status()).deadLetters).toBe(0);
    } finally {
      await Promise.all(runners.map((runner) => runner.stop()));
    }
    // And every key on the server belongs to exactly one of them
    const [, keys] = await redis.scan("0", "MATCH", "*", "COUNT", 100_000);
    const owner = (key: string) =>
      key.startsWith(`${b}:`) ? b : key.startsWith(`${a}:`) ? a : "nobody";
    expect(keys.filter((key) => owner(key) === "nobody")).toEqual([]);
    expect(keys.filter((key) => owner(key) === a).length).toBeGreaterThan(0);
    expect(keys.filter((key) => owner(key) === b).length).toBeGreaterThan(0);
    await redis.del(...keys);
  });
});
