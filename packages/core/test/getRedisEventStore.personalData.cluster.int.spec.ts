import {
  dataSubject,
  defineEvents,
  getRedisEventStore,
  personal,
  silentLogger,
} from "@streamstore/core";
import { dataKeyKey } from "@streamstore/core/internal";
import { type RedisClusterHandle, startRedisCluster } from "@streamstore/testing";
import { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";

// Issue 16 on a Redis Cluster: personal fields are encrypted on the client before the append
// script, so the script never needs a key, and each subject's key lives on its own slot
// ({pd:<subject>}), wherever the stream's partition is.

const events = defineEvents({
  CustomerRegistered: z.object({
    customerId: dataSubject(z.string()),
    email: personal(z.string()),
    name: personal(z.string()),
  }),
});

let cluster: RedisClusterHandle;
let redis: Cluster;

beforeAll(async () => {
  cluster = await startRedisCluster({ primaries: 3, replicasPerPrimary: 0 });
  redis = new Cluster(cluster.startupNodes);
}, 180_000);

afterAll(async () => {
  redis?.disconnect();
  await cluster?.stop();
});

describe("getRedisEventStore with personal data on a Redis Cluster", () => {
  it("appends, reads and forgets with keys on other slots than the streams", async () => {
    // Given a store on the cluster and customers whose keys hash to several slots
    const store = getRedisEventStore({ redis, events, logger: silentLogger, partitions: 4 });
    const customers = Array.from({ length: 12 }, (_, n) => `c-${n}`);
    for (const customerId of customers) {
      await store.append(`customer-${customerId}`, [
        {
          type: "CustomerRegistered",
          data: { customerId, email: `${customerId}@example.com`, name: `Name ${customerId}` },
        },
      ]);
    }
    const slots = new Set<number>();
    for (const customerId of customers) {
      slots.add(Number(await redis.call("CLUSTER", "KEYSLOT", dataKeyKey("ss", customerId))));
    }
    expect(slots.size).toBeGreaterThan(1);
    // When one is forgotten
    await store.forgetSubject("c-3");
    // Then it reads redacted and every other one intact
    for (const customerId of customers) {
      const read = [];
      for await (const event of store.read(`customer-${customerId}`)) read.push(event.data);
      expect(read).toEqual([
        customerId === "c-3"
          ? { customerId, email: { forgotten: true }, name: { forgotten: true } }
          : { customerId, email: `${customerId}@example.com`, name: `Name ${customerId}` },
      ]);
    }
  }, 60_000);
});
