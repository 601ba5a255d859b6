import {
  aclRuleFor,
  coreFunctionLibrary,
  defineEvents,
  type EventStore,
  getRedisEventStore,
  installFunctionLibraries,
  isArchiveRequiredError,
  isInvalidArgumentError,
  type RecordedEvent,
} from "@streamstore/core";
import { keyLayout } from "@streamstore/core/internal";
import { createFakeRedis, createInMemoryArchive, createManualClock } from "@streamstore/testing";
import { waitForRedisTime } from "@streamstore/testing/internal";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { z } from "zod";
import { archiveFunctionLibrary } from "../src/archiver/archiverLease.js";
import { startArchiver } from "../src/archiver/startArchiver.js";

const events = defineEvents({ Noted: z.object({ n: z.number(), text: z.string() }) });
type Appended = { stream: string; version: number; n: number };

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject("redisUrl"));
});
afterAll(async () => {
  await redis.quit();
});

const uniquePrefix = (name: string) =>
  `arch-${name}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

async function cleanUp(client: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await client.del(...keys);
  } while (cursor !== "0");
}

/** Appends `count` events round-robin over `aggregates` aggregates; returns what was appended. */
async function appendMany(
  store: EventStore<typeof events>,
  count: number,
  aggregates: number,
): Promise<Appended[]> {
  const appended: Appended[] = [];
  const versions = new Map<string, number>();
  for (let n = 0; n < count; n++) {
    const stream = `note-${n % aggregates}`;
    const result = await store.append(stream, [{ type: "Noted", data: { n, text: `event ${n}` } }]);
    versions.set(stream, result.nextExpectedVersion);
    appended.push({ stream, version: result.nextExpectedVersion, n });
  }
  return appended;
}

async function readAll(store: EventStore<typeof events>, stream: string) {
  const read: RecordedEvent[] = [];
  for await (const event of store.read(stream)) read.push(event);
  return read;
}

describe("startArchiver", () => {
  it("moves every event beyond the policy to the archive and trims it from Redis; reads, versions and appends carry on", async () => {
    // Given 400 events over 25 aggregates in 2 partitions, older than the archiver's minimum age
    const prefix = uniquePrefix("policy");
    const archive = createInMemoryArchive();
    const store = getRedisEventStore({ redis, events, prefix, partitions: 2, archive });
    const keys = keyLayout(prefix);
    try {
      const appended = await appendMany(store, 400, 25);
      const lengths = [
        await redis.xlen(keys.log("note", 0)),
        await redis.xlen(keys.log("note", 1)),
      ];
      await waitForRedisTime(redis, 1000);
      // When an archiver keeps the newest 50 events of each partition hot
      const archiver = startArchiver({
        redis,
        archive,
        prefix,
        policies: { default: { keepEvents: 50 } },
        minAgeMs: 1000,
        idleMs: 10,
      });
      await archiver.waitUntilIdle({ timeoutMs: 20_000 });
      await archiver.stop();
      // Then each partition log holds exactly its newest 50 entries, the rest is in the archive once
      for (const partition of [0, 1]) {
        expect(await redis.xlen(keys.log("note", partition))).toBe(50);
      }
      const stats = await archive.stats();
      expect(stats.map((row) => row.events).sort()).toEqual(lengths.map((n) => n - 50).sort());
      expect(archive.controls.entries()).toHaveLength(400 - 100);
      // And every aggregate reads as appended, through the seam, forward and backward
      for (let a = 0; a < 25; a++) {
        const stream = `note-${a}`;
        const expected = appended.filter((item) => item.stream === stream);
        const read = await readAll(store, stream);
        expect(read.map((event) => [event.version, (event.data as { n: number }).n])).toEqual(
          expected.map((item) => [item.version, item.n]),
        );
        const backward: number[] = [];
        for await (const event of store.read(stream, { direction: "backward", pageSize: 3 }))
          backward.push(event.version);
        expect(backward).toEqual(expected.map((item) => item.version).reverse());
        expect(await store.version(stream)).toBe(expected.length);
      }
      // And an append with the exact version still lands after the archived history
      const next = await store.append("note-0", [{ type: "Noted", data: { n: -1, text: "" } }], {
        expectedVersion: 16,
      });
      expect(next.firstVersion).toBe(17);
      // And a store without the archive reads hot versions, and refuses archived ones with a typed error
      const hotOnly = getRedisEventStore({ redis, events, prefix, partitions: 2 });
      const hot: number[] = [];
      for await (const event of hotOnly.read("note-0", { from: 17 })) hot.push(event.version);
      expect(hot).toEqual([17]);
      const refused = await readAll(hotOnly, "note-0").catch((error: unknown) => error);
      expect(isArchiveRequiredError(refused)).toBe(true);
    } finally {
      await cleanUp(redis, prefix);
    }
  });

  it("never trims what a consumer group has not read and acknowledged", async () => {
    // Given 200 old events in one partition and a consumer group that has read and acked only 60
    const prefix = uniquePrefix("groups");
    const archive = createInMemoryArchive();
    const store = getRedisEventStore({ redis, events, prefix, archive });
    const keys = keyLayout(prefix);
    const log = keys.log("note", 0);
    try {
      await appendMany(store, 200, 10);
      await redis.xgroup("CREATE", log, "projection", "0");
      const read = (await redis.xreadgroup(
        "GROUP",
        "projection",
        "c1",
        "COUNT",
        80,
        "STREAMS",
        log,
        ">",
      )) as [string, [string, string[]][]][];
      const delivered = read[0]?.[1].map(([id]) => id) ?? [];
      await redis.xack(log, "projection", ...delivered.slice(0, 60));
      await waitForRedisTime(redis, 1000);
      // When an archiver with no hot window runs
      const archiver = startArchiver({
        redis,
        archive,
        prefix,
        policies: { note: { keepEvents: 0 } },
        minAgeMs: 1000,
        idleMs: 10,
      });
      await archiver.waitUntilIdle({ timeoutMs: 20_000 });
      // Then exactly the 60 acknowledged entries moved; the 20 pending and 120 unread stay
      expect(archive.controls.entries()).toHaveLength(60);
      expect(await redis.xlen(log)).toBe(140);
      const [first] = await redis.xrange(log, "-", "+", "COUNT", 1);
      expect(first?.[0]).toBe(delivered[60]);
      // And once the group acknowledges the rest of what it read, those move too
      await redis.xack(log, "projection", ...delivered.slice(60));
      await archiver.waitUntilIdle({ timeoutMs: 20_000 });
      await archiver.stop();
      expect(archive.controls.entries()).toHaveLength(80);
      expect(await redis.xlen(log)).toBe(120);
    } finally {
      await cleanUp(redis, prefix);
    }
  });

  it("trims nothing while the archive is down, keeps appends working, and catches up once it is back", async () => {
    // Given old events and an archive that is down
    const prefix = uniquePrefix("down");
    const archive = createInMemoryArchive();
    const store = getRedisEventStore({ redis, events, prefix, archive });
    const keys = keyLayout(prefix);
    const errors: string[] = [];
    try {
      await appendMany(store, 100, 5);
      await waitForRedisTime(redis, 1000);
      archive.controls.setAvailable(false);
      // When the archiver runs
      const archiver = startArchiver({
        redis,
        archive,
        prefix,
        policies: { default: { keepEvents: 10 } },
        minAgeMs: 1000,
        idleMs: 10,
        logger: {
          debug: () => {},
          info: () => {},
          warn: () => {},
          error: (_fields, message) => errors.push(message),
        },
      });
      const deadline = Date.now() + 20_000;
      while (errors.length < 2 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      // Then it reports the failure, trims nothing, and appends carry on
      expect(errors[0]).toMatch(/^\[streamstore\] archiver step on note\/0 failed/);
      expect(archiver.progress()[0]?.state).toBe("failed");
      expect(await redis.xlen(keys.log("note", 0))).toBe(100);
      await store.append("note-0", [{ type: "Noted", data: { n: 100, text: "" } }]);
      // And once the archive is back it archives everything beyond the policy
      archive.controls.setAvailable(true);
      await archiver.waitUntilIdle({ timeoutMs: 60_000 });
      await archiver.stop();
      expect(await redis.xlen(keys.log("note", 0))).toBe(10);
      expect(archive.controls.entries()).toHaveLength(91);
    } finally {
      await cleanUp(redis, prefix);
    }
  });

  it("gives each partition to one archiver at a time, and another takes over the partitions of one that stops", async () => {
    // Given 4 partitions of old events and two archivers
    const prefix = uniquePrefix("lease");
    const archive = createInMemoryArchive();
    const store = getRedisEventStore({ redis, events, prefix, partitions: 4, archive });
    const keys = keyLayout(prefix);
    try {
      await appendMany(store, 200, 40);
      await waitForRedisTime(redis, 1000);
      const options = {
        redis,
        archive,
        prefix,
        policies: { default: { keepEvents: 5 } },
        minAgeMs: 1000,
        idleMs: 10,
        leaseMs: 60_000,
      };
      const first = startArchiver({ ...options, workerId: "first" });
      const second = startArchiver({ ...options, workerId: "second" });
      // When both have nothing left to do
      await Promise.all([first.waitUntilIdle(), second.waitUntilIdle()]);
      // Then every partition has exactly one holder, and each event was archived once
      const holders = await Promise.all(
        [0, 1, 2, 3].map((partition) => redis.get(keys.archiver("note", partition))),
      );
      for (const holder of holders) expect(holder).toMatch(/^(first|second):/);
      expect(archive.controls.entries()).toHaveLength(200 - 4 * 5);
      const archiving = (archiver: typeof first) =>
        archiver.progress().filter((entry) => entry.state === "archiving").length;
      expect(archiving(first) + archiving(second)).toBe(4);
      // And when the first stops, its leases are released and the second takes its partitions
      await first.stop();
      const afterFirst = await Promise.all(
        [0, 1, 2, 3].map((partition) => redis.get(keys.archiver("note", partition))),
      );
      expect(afterFirst.filter((holder) => holder?.startsWith("first:"))).toHaveLength(0);
      await store.append("note-1", [{ type: "Noted", data: { n: 1, text: "" } }]);
      await second.waitUntilIdle();
      expect(archiving(second)).toBe(4);
      await second.stop();
      const afterStop = await Promise.all(
        [0, 1, 2, 3].map((partition) => redis.get(keys.archiver("note", partition))),
      );
      expect(afterStop.every((holder) => holder === null)).toBe(true);
    } finally {
      await cleanUp(redis, prefix);
    }
  });

  it("runs as a Redis user made from aclRuleFor(prefix), the application's rule", async () => {
    // Given old events, and an ACL user limited to the prefix and the commands streamstore sends
    const prefix = uniquePrefix("acl");
    const user = `${prefix}-user`;
    const archive = createInMemoryArchive();
    await redis.call("ACL", "SETUSER", user, "on", ">pw", ...aclRuleFor(prefix));
    // (the operator step: the user may call the toolkit's functions, not load them)
    await installFunctionLibraries(redis, [coreFunctionLibrary, archiveFunctionLibrary]);
    const limited = new Redis(inject("redisUrl"), { username: user, password: "pw" });
    try {
      const store = getRedisEventStore({ redis: limited, events, prefix, archive });
      await appendMany(store, 60, 3);
      await waitForRedisTime(redis, 1000);
      // (a group holding 5 of the 20 entries it read pending: the archiver asks XPENDING)
      const log = keyLayout(prefix).log("note", 0);
      await limited.xgroup("CREATE", log, "rm", "0");
      const read = (await limited.xreadgroup(
        "GROUP",
        "rm",
        "c",
        "COUNT",
        20,
        "STREAMS",
        log,
        ">",
      )) as [string, [string, string[]][]][];
      await limited.xack(log, "rm", ...(read[0]?.[1] ?? []).slice(0, 15).map(([id]) => id));
      // When an archiver runs as that user (lease, group floors, archive, trim script)
      const errors: string[] = [];
      const archiver = startArchiver({
        redis: limited,
        archive,
        prefix,
        policies: { default: { keepEvents: 10 } },
        minAgeMs: 1000,
        idleMs: 10,
        logger: {
          debug() {},
          info() {},
          warn() {},
          error: (_fields, message) => errors.push(message),
        },
      });
      // (a refused command keeps it failing, never idle: the errors then say which)
      await archiver.waitUntilIdle({ timeoutMs: 15_000 }).catch(() => {});
      await archiver.stop();
      // Then nothing was refused, and the 15 entries the group settled moved
      expect(errors).toEqual([]);
      expect(archive.controls.entries()).toHaveLength(15);
    } finally {
      limited.disconnect();
      await redis.call("ACL", "DELUSER", user);
      await cleanUp(redis, prefix);
    }
  });

  it("settles a pending waitUntilIdle as soon as it is stopped", async () => {
    // Given an archiver that cannot become idle (its archive is down) and someone waiting for it
    const clock = createManualClock(1_800_000_000_000);
    const fake = createFakeRedis({ clock });
    const archive = createInMemoryArchive();
    const store = getRedisEventStore({ redis: fake, events, archive, serverCheck: "off" });
    try {
      await appendMany(store, 10, 2);
      clock.advance(60_000);
      archive.controls.setAvailable(false);
      const archiver = startArchiver({
        redis: fake,
        archive,
        policies: { default: { keepEvents: 0 } },
        minAgeMs: 1000,
        idleMs: 5,
      });
      const waiting = archiver.waitUntilIdle({ timeoutMs: 60_000 });
      // When it is stopped
      const started = Date.now();
      await archiver.stop();
      // Then the wait rejects at once, saying why, and a later wait does too
      await expect(waiting).rejects.toThrow(/stopped before it was idle/);
      await expect(archiver.waitUntilIdle()).rejects.toThrow(/stopped/);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      fake.disconnect();
    }
  });

  it("refuses options that would archive more or less than meant, with typed errors, before anything runs", () => {
    const archive = createInMemoryArchive();
    const base = { redis, archive, policies: { default: { keepEvents: 10 } } };
    for (const options of [
      { ...base, policies: { order: { keepEvent: 10 } } },
      { ...base, policies: { order: {} } },
      { ...base, policies: { order: { keepEvents: -1 } } },
      { ...base, minAgeMs: 10 },
      { ...base, batchSize: 0 },
      { ...base, batchSize: 10_001 },
      { ...base, archive: {} },
      { ...base, policies: undefined },
    ]) {
      // When started with each, Then a typed InvalidArgumentError says what is wrong
      const error = (() => {
        try {
          startArchiver(options as never);
        } catch (caught) {
          return caught;
        }
        return undefined;
      })();
      expect(isInvalidArgumentError(error)).toBe(true);
      expect(String((error as Error).message)).toMatch(/^\[streamstore\]/);
    }
  });

  it("archives on the in-memory fake, whose clock the test moves", async () => {
    // Given the fake with a manual clock, and 120 events
    const clock = createManualClock(1_800_000_000_000);
    const fake = createFakeRedis({ clock });
    const archive = createInMemoryArchive();
    const store = getRedisEventStore({ redis: fake, events, archive, serverCheck: "off" });
    try {
      const appended = await appendMany(store, 120, 4);
      clock.advance(5 * 60_000);
      // When an archiver keeps 5 minutes hot (all events are older)
      const archiver = startArchiver({
        redis: fake,
        archive,
        policies: { note: { keepMs: 4 * 60_000 } },
        minAgeMs: 1000,
        idleMs: 5,
      });
      await archiver.waitUntilIdle();
      await archiver.stop();
      // Then everything moved, and each aggregate still reads whole
      expect(await fake.xlen(keyLayout("ss").log("note", 0))).toBe(0);
      expect(archive.controls.entries()).toHaveLength(120);
      const read = await readAll(store, "note-3");
      expect(read.map((event) => (event.data as { n: number }).n)).toEqual(
        appended.filter((item) => item.stream === "note-3").map((item) => item.n),
      );
      expect(await store.version("note-3")).toBe(30);
    } finally {
      fake.disconnect();
    }
  });
});
