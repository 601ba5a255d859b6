import {
  defineEvents,
  getRedisEventStore,
  isUnsafeServerConfigError,
  silentLogger,
} from "@streamstore/core";
import {
  type RecordingLogger,
  type RedisClusterHandle,
  recordingLogger,
} from "@streamstore/testing";
import { Cluster, Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { startExclusiveCluster } from "./support/startExclusiveCluster.js";

const events = defineEvents({ Noted: z.object({ n: z.number() }) });
let cluster: RedisClusterHandle;
beforeAll(async () => {
  cluster = await startExclusiveCluster({ primaries: 3, replicasPerPrimary: 0 });
}, 300_000);
afterAll(async () => {
  await cluster?.stop();
});

describe("getRedisEventStore server check on a Cluster", () => {
  // Warnings are once per server per process: this case runs first, before another warns.
  it("warns about each primary that keeps nothing on disk, naming it", async () => {
    // Given a cluster without persistence, and a client that has not connected yet
    const redis = new Cluster(cluster.startupNodes);
    const logger = recordingLogger();
    // When a store writes through it
    await getRedisEventStore({ redis, events, logger, prefix: "warn" }).append("note-1", [
      { type: "Noted", data: { n: 1 } },
    ]);
    await redis.quit();
    // Then every primary got its own warning, once
    const ports = cluster.nodes.filter((node) => node.role === "primary").map((node) => node.port);
    expect(warningsOf(logger)).toHaveLength(3);
    for (const port of ports)
      expect(warningsOf(logger).some((warning) => warning.includes(`127.0.0.1:${port}`))).toBe(
        true,
      );
  });

  it("refuses a cluster where any one primary may evict keys, whichever node a keyless INFO reaches", async () => {
    // Given one primary of three with an evicting policy
    const evicting = cluster.nodes.filter((node) => node.role === "primary")[2];
    const direct = new Redis(evicting?.port ?? 0, "127.0.0.1");
    await direct.config("SET", "maxmemory-policy", "allkeys-lru");
    try {
      // When five fresh clients (each would pick a random node) use a store, Then all refuse
      for (let attempt = 0; attempt < 5; attempt++) {
        const redis = new Cluster(cluster.startupNodes);
        const store = getRedisEventStore({ redis, events, logger: silentLogger, prefix: "ev" });
        const error = await store.append("note-1", [{ type: "Noted", data: { n: 1 } }]).then(
          () => undefined,
          (caught: unknown) => caught,
        );
        await redis.quit();
        expect(isUnsafeServerConfigError(error), String(error)).toBe(true);
        expect(String((error as Error).message)).toMatch(/allkeys-lru/);
      }
    } finally {
      await direct.config("SET", "maxmemory-policy", "noeviction");
      direct.disconnect();
    }
  });
});

function warningsOf(logger: RecordingLogger): string[] {
  return logger.records.filter((record) => record.level === "warn").map((record) => record.message);
}
