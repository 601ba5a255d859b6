import {
  defineEvents,
  getRedisEventStore,
  isInvalidArgumentError,
  isReplicationTimeoutError,
  type ReplicationTimeoutError,
  silentLogger,
} from "@streamstore/core";
import { type RedisServerHandle, startRedisServer } from "@streamstore/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";

const events = defineEvents({ Noted: z.object({ n: z.number() }) });
let primary: RedisServerHandle;
let replica: RedisServerHandle;
let redis: Redis;

beforeAll(async () => {
  primary = await startRedisServer();
  replica = await startRedisServer({ args: ["--replicaof", "127.0.0.1", String(primary.port)] });
  redis = new Redis(primary.url);
  const direct = new Redis(replica.url);
  while (!/master_link_status:up/.test(await direct.info("replication")))
    await new Promise((resolve) => setTimeout(resolve, 50));
  direct.disconnect();
});
afterAll(async () => {
  redis?.disconnect();
  await replica?.stop();
  await primary?.stop();
});

describe("EventStore.append with durability", () => {
  it("waits for the replica (WAIT on the append's own connection) and reports how many confirmed", async () => {
    const store = getRedisEventStore({ redis, events, logger: silentLogger, prefix: "d1" });
    const result = await store.append("note-1", [{ type: "Noted", data: { n: 1 } }], {
      durability: { replicas: 1, timeoutMs: 5_000 },
    });
    expect(result).toMatchObject({ nextExpectedVersion: 1, replicasAcknowledged: 1 });
    const plain = await store.append("note-1", [{ type: "Noted", data: { n: 2 } }]);
    expect(plain.replicasAcknowledged).toBeUndefined();
  });

  it("throws ReplicationTimeoutError with the stored result when too few replicas confirm, and a retry is idempotent", async () => {
    // Given a store, and more replicas asked for than exist
    const store = getRedisEventStore({ redis, events, logger: silentLogger, prefix: "d2" });
    const batch = [{ id: "evt-1", type: "Noted" as const, data: { n: 1 } }];
    const options = { expectedVersion: 0, durability: { replicas: 2, timeoutMs: 100 } };
    // When appending, then retrying the same append
    const first = await store.append("note-1", batch, options).catch((error: unknown) => error);
    const retry = await store.append("note-1", batch, options).catch((error: unknown) => error);
    // Then both say 1 of 2 confirmed; the events are stored once, the retry is a duplicate
    expect(isReplicationTimeoutError(first)).toBe(true);
    expect(first).toMatchObject({ acknowledged: 1, required: 2 });
    expect((first as ReplicationTimeoutError).result).toMatchObject({
      nextExpectedVersion: 1,
      duplicate: false,
    });
    expect((first as Error).message).toMatch(/^\[streamstore\] .*retry the same append/);
    expect((retry as ReplicationTimeoutError).result).toMatchObject({
      nextExpectedVersion: 1,
      duplicate: true,
    });
    expect(await store.version("note-1")).toBe(1);
  });

  it("refuses a durability without a positive replica count and timeout, writing nothing", async () => {
    const store = getRedisEventStore({ redis, events, logger: silentLogger, prefix: "d3" });
    for (const durability of [
      { replicas: 0, timeoutMs: 100 },
      { replicas: 1, timeoutMs: 0 },
      { replicas: 1.5, timeoutMs: 100 },
      {} as never,
    ]) {
      const error = await store
        .append("note-1", [{ type: "Noted", data: { n: 1 } }], { durability })
        .catch((caught: unknown) => caught);
      expect(isInvalidArgumentError(error), JSON.stringify(durability)).toBe(true);
    }
    expect(await store.exists("note-1")).toBe(false);
  });
});
