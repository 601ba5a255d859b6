import {
  defineEvents,
  getRedisEventStore,
  isUnsafeServerConfigError,
  silentLogger,
} from "@streamstore/core";
import {
  createFakeRedis,
  type RecordingLogger,
  type RedisServerHandle,
  recordingLogger,
  startRedisServer,
} from "@streamstore/testing";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";

const events = defineEvents({ Noted: z.object({ n: z.number() }) });
const servers: RedisServerHandle[] = [];
const clients: Redis[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.disconnect();
  for (const server of servers.splice(0)) await server.stop();
});

async function serverWith(args: string[]): Promise<Redis> {
  const server = await startRedisServer({ args });
  servers.push(server);
  const redis = new Redis(server.url);
  clients.push(redis);
  return redis;
}

describe("getRedisEventStore server check", () => {
  it("warns once per server, naming the fix, when Redis keeps nothing on disk", async () => {
    // Given a server without AOF or RDB
    const redis = await serverWith([]);
    const logger = recordingLogger();
    // When two stores are used on it
    await getRedisEventStore({ redis, events, logger, prefix: "a" }).append("note-1", [
      { type: "Noted", data: { n: 1 } },
    ]);
    await getRedisEventStore({ redis, events, logger, prefix: "b" }).append("note-1", [
      { type: "Noted", data: { n: 1 } },
    ]);
    // Then there is exactly one warning, with the setting that fixes it
    expect(warningsOf(logger)).toHaveLength(1);
    expect(warningsOf(logger)[0]).toMatch(
      /^\[streamstore\] .*keeps nothing on disk.*CONFIG SET appendonly yes/,
    );
  });

  it("does not warn on the in-memory fake, which declares itself a test double, and still checks its memory policy", async () => {
    // Given the fake: persistence truthfully off, and streamstore_fake:1 in INFO server
    const fake = createFakeRedis();
    expect(await fake.info("persistence")).toMatch(/^aof_enabled:0\r?$/m);
    expect(await fake.info("server")).toMatch(/^streamstore_fake:1\r?$/m);
    const logger = recordingLogger();
    const emitted: unknown[] = [];
    const onWarning = (warning: unknown) => emitted.push(warning);
    process.on("warning", onWarning);
    try {
      // When stores are used on it, with a logger and without one (process warnings)
      await getRedisEventStore({ redis: fake, events, logger }).append("note-1", [
        { type: "Noted", data: { n: 1 } },
      ]);
      await getRedisEventStore({ redis: fake, events, prefix: "quiet" }).append("note-1", [
        { type: "Noted", data: { n: 1 } },
      ]);
      // Then nothing was warned (Node emits process warnings on the next tick: wait for one)
      await new Promise((resolve) => setImmediate(resolve));
      expect(warningsOf(logger)).toEqual([]);
      expect(emitted.filter((warning) => String(warning).includes("[streamstore]"))).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
    // And the rest of the check still runs on it
    await fake.config("SET", "maxmemory-policy", "allkeys-lru");
    await expect(
      getRedisEventStore({ redis: fake, events, prefix: "evicting" }).append("note-1", [
        { type: "Noted", data: { n: 1 } },
      ]),
    ).rejects.toSatisfy(isUnsafeServerConfigError);
    fake.disconnect();
  });

  it("does not warn when the append-only file is on", async () => {
    const redis = await serverWith(["--appendonly", "yes", "--appendfsync", "everysec"]);
    const logger = recordingLogger();
    await getRedisEventStore({ redis, events, logger }).append("note-1", [
      { type: "Noted", data: { n: 1 } },
    ]);
    expect(warningsOf(logger)).toEqual([]);
  });

  it("refuses a memory policy that can evict events, before writing, unless the user opts in", async () => {
    // Given a server that may evict any key when full
    const redis = await serverWith(["--maxmemory-policy", "allkeys-lru"]);
    // When a store is used without opting in
    const refused = getRedisEventStore({ redis, events, logger: silentLogger, prefix: "strict" });
    const error = await refused
      .append("note-1", [{ type: "Noted", data: { n: 1 } }])
      .catch((caught: unknown) => caught);
    // Then it is refused with a reason, and nothing was written
    expect(isUnsafeServerConfigError(error)).toBe(true);
    expect((error as Error).message).toMatch(
      /allkeys-lru.*evicted events are lost.*noeviction.*allowEviction/,
    );
    expect(await redis.keys("strict:*")).toEqual([]);
    // And a store that opted in may append
    const lenient = getRedisEventStore({
      redis,
      events,
      logger: silentLogger,
      prefix: "lenient",
      allowEviction: true,
    });
    await expect(
      lenient.append("note-1", [{ type: "Noted", data: { n: 1 } }]),
    ).resolves.toMatchObject({
      nextExpectedVersion: 1,
    });
  });
});

function warningsOf(logger: RecordingLogger): string[] {
  return logger.records.filter((record) => record.level === "warn").map((record) => record.message);
}
