import {
  defineEvents,
  getRedisEventStore,
  isRedisOutOfMemoryError,
  silentLogger,
} from "@streamstore/core";
import { startRedisServer } from "@streamstore/testing";
import { indexPositions } from "@streamstore/testing/contract";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { z } from "zod";

const events = defineEvents({ Filled: z.object({ blob: z.string() }) });

describe("EventStore.append", () => {
  it("fails as a whole, writing nothing, when Redis is out of memory under noeviction", async () => {
    // Given a private server with a small maxmemory and noeviction
    const server = await startRedisServer({
      args: ["--maxmemory", "4mb", "--maxmemory-policy", "noeviction"],
    });
    const redis = new Redis(server.url);
    try {
      const store = getRedisEventStore({ redis, events, logger: silentLogger });
      const blob = "x".repeat(16 * 1024);
      let appended = 0;
      let refusal: unknown;
      // When appending until Redis refuses
      for (let i = 0; i < 2000 && refusal === undefined; i++) {
        await store
          .append(`bulk-${i % 10}`, [
            { type: "Filled", data: { blob } },
            { type: "Filled", data: { blob } },
          ])
          .then(
            () => {
              appended += 2;
            },
            (error: unknown) => {
              refusal = error;
            },
          );
      }
      // Then the refusal is Redis's OOM error, and the indexes and the log hold only whole
      // batches: each index record names a log entry of its stream and version, and the log
      // holds nothing else
      expect(isRedisOutOfMemoryError(refusal), String(refusal)).toBe(true);
      expect(String((refusal as Error).cause)).toMatch(/^ReplyError: OOM /);
      const { logKey } = await store.locate("bulk-0");
      const logged = new Map(
        (await redis.xrange(logKey, "-", "+")).map(([position, fields]) => [
          position,
          `${fields[fields.indexOf("a") + 1]}@${fields[fields.indexOf("v") + 1]}`,
        ]),
      );
      let indexed = 0;
      for (let i = 0; i < 10; i++) {
        const { indexKey } = await store.locate(`bulk-${i}`);
        const positions = indexPositions(await redis.getBuffer(indexKey));
        expect(positions.length % 2).toBe(0);
        expect(positions.map((position) => logged.get(position))).toEqual(
          positions.map((_, index) => `${i}@${index + 1}`),
        );
        indexed += positions.length;
        expect(await store.version(`bulk-${i}`)).toBe(positions.length);
      }
      expect(indexed).toBe(appended);
      expect(logged.size).toBe(appended);
      // And once memory is freed, appends go on
      await redis.config("SET", "maxmemory", "0");
      await expect(
        store.append("bulk-0", [{ type: "Filled", data: { blob: "small" } }]),
      ).resolves.toMatchObject({
        duplicate: false,
      });
    } finally {
      redis.disconnect();
      await server.stop();
    }
  });
});
