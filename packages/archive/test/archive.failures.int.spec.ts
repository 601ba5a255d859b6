import {
  defineEvents,
  type EventArchive,
  type EventStore,
  getRedisEventStore,
  isArchiveRequiredError,
  isArchiveSchemaError,
  isArchiveUnavailableError,
  isInvalidArgumentError,
  silentLogger,
} from "@streamstore/core";
import { keyLayout } from "@streamstore/core/internal";
import { getFreePort, startPostgresServer } from "@streamstore/testing";
import { deleteKeys } from "@streamstore/testing/contract";
import { Redis } from "ioredis";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { z } from "zod";
import { type Archiver, startArchiver } from "../src/archiver/startArchiver.js";
import { createPostgresArchive } from "../src/createPostgresArchive.js";
import { redisNowMs, waitFor, waitForRedisTimePast } from "./support/archiveLoad.js";
import { createTestDatabase, type TestDatabase } from "./support/createTestDatabase.js";

// Issue 15: what the archive and the archiver do when the archive is misconfigured, its
// PostgreSQL is down (never there, or stopped mid-run) or holds another archive schema version:
// typed [streamstore] errors, nothing trimmed from Redis, appends and reads of hot versions go on.

const events = defineEvents({ Noted: z.object({ n: z.number() }) });
const AGGREGATES = 6;
const KEEP = 10;

let redis: Redis;
const databases: TestDatabase[] = [];
beforeAll(() => {
  redis = new Redis(inject("redisUrl"));
});
afterAll(async () => {
  await redis.quit();
  for (const database of databases) await database.drop();
});

const uniquePrefix = (name: string) =>
  `arch-fail-${name}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/** Resolves what `work` throws or rejects with (undefined when it succeeds). */
async function caught(work: () => unknown): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** Appends `count` events round-robin over the aggregates; resolves the newest position's ms. */
async function appendEvents(store: EventStore<typeof events>, from: number, count: number) {
  let newestMs = 0;
  for (let n = from; n < from + count; n++) {
    const result = await store.append(`note-${n % AGGREGATES}`, [{ type: "Noted", data: { n } }]);
    newestMs = Number((result.positions[0] as string).split("-")[0]);
  }
  return newestMs;
}

/** What Redis holds for the prefix's events: the log's length, each index byte for byte, the seam. */
async function redisState(prefix: string) {
  const keys = keyLayout(prefix);
  const indexes: string[] = [];
  for (let a = 0; a < AGGREGATES; a++) {
    indexes.push(((await redis.getBuffer(keys.index("note", 0, String(a)))) ?? "").toString("hex"));
  }
  return {
    length: await redis.xlen(keys.log("note", 0)),
    indexes,
    seam: await redis.hgetall(keys.archived("note", 0)),
  };
}

/** An archiver on the prefix keeping 10 events hot, whose logged errors the test reads. */
function archiverOn(
  prefix: string,
  archive: EventArchive,
): { archiver: Archiver; errors: string[] } {
  const errors: string[] = [];
  const archiver = startArchiver({
    redis,
    archive,
    prefix,
    policies: { default: { keepEvents: KEEP } },
    minAgeMs: 1000,
    idleMs: 10,
    logger: {
      debug: () => {},
      info: () => {},
      warn: () => {},
      error: (_fields, message) => errors.push(message),
    },
  });
  return { archiver, errors };
}

const storeOf = (prefix: string, archive?: EventArchive) =>
  getRedisEventStore({ redis, events, prefix, archive, logger: silentLogger });

async function readVersions(store: EventStore<typeof events>, stream: string, from = 1) {
  const versions: number[] = [];
  for await (const event of store.read(stream, { from })) versions.push(event.version);
  return versions;
}

/**
 * Given 60 old events and an archiver whose archive fails, the archiver logs each failed step
 * and changes nothing in Redis; appends and reads of hot versions go on. Resolves the errors.
 */
async function expectNothingTrimmed(
  prefix: string,
  archive: EventArchive,
  errorPattern: RegExp,
): Promise<string[]> {
  const store = storeOf(prefix, archive);
  const newestMs = await appendEvents(store, 0, 60);
  await waitForRedisTimePast(redis, newestMs + 1000);
  const before = await redisState(prefix);
  // When an archiver keeping 10 events hot runs against it
  const { archiver, errors } = archiverOn(prefix, archive);
  try {
    await waitFor("the archiver to log two failed steps", () => errors.length >= 2, {
      timeoutMs: 30_000,
    });
    // Then it says why, typed, and marks the partition failed
    expect(errors[0]).toMatch(/^\[streamstore\] archiver step on note\/0 failed/);
    expect(errors[0]).toMatch(errorPattern);
    expect(archiver.progress()).toMatchObject([
      { category: "note", partition: 0, state: "failed", archived: 0 },
    ]);
    // And nothing was trimmed: the log, every index byte for byte, no seam
    expect(await redisState(prefix)).toEqual(before);
    expect(before.seam).toEqual({});
    expect(before.length).toBe(60);
    // And appends keep working, with their versions, and every (hot) version reads back
    const appended = await store.append("note-0", [{ type: "Noted", data: { n: 60 } }], {
      expectedVersion: 10,
    });
    expect(appended.firstVersion).toBe(11);
    expect(await readVersions(store, "note-0")).toEqual(
      Array.from({ length: 11 }, (_, k) => k + 1),
    );
    expect(await redis.xlen(keyLayout(prefix).log("note", 0))).toBe(61);
  } finally {
    await archiver.stop();
  }
  return errors;
}

describe("archive failures", () => {
  it("refuses bad or missing archive configuration with typed [streamstore] errors, before connecting", async () => {
    const url = "postgres://postgres@127.0.0.1:5432/postgres";
    const sql = postgres(url, { max: 1 });
    try {
      for (const options of [
        undefined,
        {},
        { connectionString: "" },
        { connectionString: 42 },
        { connectionString: url, sql },
        { sql: {} },
        { connectionString: url, schema: "bad-name" },
        { connectionString: url, schema: "" },
        { connectionString: url, table: 'events"; DROP TABLE x; --' },
        { connectionString: url, table: "t".repeat(59) },
        { connectionString: url, maxConnections: 0 },
        { connectionString: url, connectTimeoutSeconds: 0.5 },
      ]) {
        // When the archive is created with each, Then InvalidArgumentError says what is wrong
        const error = await caught(() => createPostgresArchive(options as never));
        expect(isInvalidArgumentError(error), JSON.stringify(options)).toBe(true);
        expect((error as Error).message).toMatch(/^\[streamstore\] /);
      }
      // And an archiver given no archive, or something else, is refused before it runs
      for (const archive of [undefined, {}, { write: () => {} }]) {
        const error = await caught(() =>
          startArchiver({
            redis,
            archive: archive as never,
            policies: { default: { keepEvents: 1 } },
          }),
        );
        expect(isInvalidArgumentError(error)).toBe(true);
        expect((error as Error).message).toMatch(/^\[streamstore\] .*archive/);
      }
    } finally {
      await sql.end();
    }
  });

  it("refuses a store given something that is not an archive, when it is created", async () => {
    // Given options whose archive is not an EventArchive (a config object, a typo'd factory)
    for (const archive of [{}, { connectionString: "postgres://db/events" }, "postgres://db"]) {
      // When a store is created with it, Then a typed InvalidArgumentError names the option
      const error = await caught(() =>
        getRedisEventStore({ redis, events, archive: archive as never, logger: silentLogger }),
      );
      expect(isInvalidArgumentError(error), JSON.stringify(archive)).toBe(true);
      expect((error as Error).message).toMatch(/^\[streamstore\] .*archive/);
    }
  });

  it("with no archive, a read of archived versions is a typed ArchiveRequiredError and hot versions still read", async () => {
    // Given an aggregate whose oldest versions an archiver moved to a (working) archive
    const database = await createTestDatabase();
    databases.push(database);
    const archive = createPostgresArchive({ connectionString: database.url });
    const prefix = uniquePrefix("required");
    try {
      const newestMs = await appendEvents(storeOf(prefix, archive), 0, 30);
      await waitForRedisTimePast(redis, newestMs + 1000);
      const { archiver, errors } = archiverOn(prefix, archive);
      await archiver.waitUntilIdle({ timeoutMs: 30_000 });
      await archiver.stop();
      expect(errors).toEqual([]);
      // When a store without the archive reads it
      const bare = storeOf(prefix);
      const error = await caught(() => readVersions(bare, "note-0"));
      // Then the archived versions are refused, typed; the hot ones read
      expect(isArchiveRequiredError(error)).toBe(true);
      expect((error as Error).message).toMatch(/^\[streamstore\] the oldest 4 events of "note-0"/);
      expect(await readVersions(bare, "note-0", 5)).toEqual([5]);
      expect(await readVersions(storeOf(prefix, archive), "note-0")).toEqual([1, 2, 3, 4, 5]);
    } finally {
      await archive.close();
      await deleteKeys(redis, `${prefix}:*`);
    }
  });

  it("with PostgreSQL unreachable (nothing listens on its port), every archive call is an ArchiveUnavailableError and the archiver trims nothing", async () => {
    // Given an archive pointing at a port nothing listens on
    const port = await getFreePort();
    const archive = createPostgresArchive({
      connectionString: `postgres://app:s3cret-pw@127.0.0.1:${port}/events`,
      connectTimeoutSeconds: 1,
    });
    const prefix = uniquePrefix("down");
    try {
      // When each of its calls is made, Then each rejects typed, the password masked
      for (const call of [
        () => archive.lastPosition("note", 0),
        () => archive.readStream("note-0", { direction: "forward", from: 1, to: 10, limit: 10 }),
        () => archive.readPartition("note", 0, { after: "0-0", limit: 10 }),
        () => archive.stats(),
        () =>
          archive.write([
            {
              category: "note",
              partition: 0,
              position: "1700000000000-0",
              streamName: "note-0",
              version: 1,
              eventId: "e1",
              type: "Noted",
              data: '{"n":0}',
              metadata: undefined,
              schemaVersion: 1,
            },
          ]),
      ]) {
        const error = await caught(call);
        expect(isArchiveUnavailableError(error)).toBe(true);
        expect((error as Error).message).toMatch(
          new RegExp(
            `^\\[streamstore\\] the archive at postgres://app:\\*\\*\\*@127\\.0\\.0\\.1:${port}/events is unavailable`,
          ),
        );
        expect((error as Error).message).not.toContain("s3cret-pw");
      }
      // And an archiver on it logs each failed step, trims nothing; appends and hot reads go on
      const errors = await expectNothingTrimmed(prefix, archive, /is unavailable/);
      expect(errors.join("\n")).not.toContain("s3cret-pw");
    } finally {
      await archive.close();
      await deleteKeys(redis, `${prefix}:*`);
    }
  });

  it("with PostgreSQL stopped mid-run, the archiver trims nothing more until it is back, appends and hot reads go on, and it catches up after", async () => {
    // Given a private PostgreSQL, and an archiver that moved 50 of 60 events there
    const server = await startPostgresServer();
    const archive = createPostgresArchive({
      connectionString: server.url,
      connectTimeoutSeconds: 1,
    });
    const prefix = uniquePrefix("stopped");
    const store = storeOf(prefix, archive);
    const keys = keyLayout(prefix);
    const { archiver, errors } = archiverOn(prefix, archive);
    try {
      const firstNewestMs = await appendEvents(store, 0, 60);
      await waitForRedisTimePast(redis, firstNewestMs + 1000);
      await archiver.waitUntilIdle({ timeoutMs: 30_000 });
      expect(await redis.xlen(keys.log("note", 0))).toBe(KEEP);
      const seamBefore = await redis.hgetall(keys.archived("note", 0));
      expect(seamBefore.events).toBe("50");

      // When PostgreSQL stops, and 40 more events are appended and grow old
      await server.halt();
      const newestMs = await appendEvents(store, 60, 40);
      await waitForRedisTimePast(redis, newestMs + 1000);
      const before = await redisState(prefix);
      const failuresBefore = errors.length;
      await waitFor(
        "two failed steps after PostgreSQL stopped",
        () => errors.length >= failuresBefore + 2,
        {
          timeoutMs: 60_000,
        },
      );

      // Then the archiver says the archive is unavailable, and Redis is exactly as it was
      expect(errors.at(-1)).toMatch(
        /^\[streamstore\] archiver step on note\/0 failed.*is unavailable/,
      );
      expect(archiver.progress()[0]?.state).toBe("failed");
      expect(await redisState(prefix)).toEqual(before);
      expect(before.seam).toEqual(seamBefore);
      expect(before.length).toBe(KEEP + 40);
      // And appends keep working, and hot versions read; archived ones fail typed, not silently
      const appended = await store.append("note-0", [{ type: "Noted", data: { n: 100 } }]);
      expect(appended.firstVersion).toBe(18);
      expect(await readVersions(store, "note-0", 10)).toEqual(
        Array.from({ length: 9 }, (_, k) => k + 10),
      );
      const unavailable = await caught(() => readVersions(store, "note-0"));
      expect(isArchiveUnavailableError(unavailable)).toBe(true);

      // And once PostgreSQL is back, the archiver catches up and every version reads
      await server.resume();
      await waitForRedisTimePast(redis, (await redisNowMs(redis)) + 1000);
      await archiver.waitUntilIdle({ timeoutMs: 60_000 });
      expect(await redis.xlen(keys.log("note", 0))).toBe(KEEP);
      expect((await redis.hgetall(keys.archived("note", 0))).events).toBe("91");
      expect(await readVersions(store, "note-0")).toEqual(
        Array.from({ length: 18 }, (_, k) => k + 1),
      );
    } finally {
      await archiver.stop();
      await archive.close();
      await server.stop();
      await deleteKeys(redis, `${prefix}:*`);
    }
  }, 120_000);

  it("with a database whose archive records another schema version, every call is an ArchiveSchemaError and the archiver trims nothing", async () => {
    // Given a database whose archive meta table records schema version 2
    const database = await createTestDatabase();
    databases.push(database);
    const creator = createPostgresArchive({ connectionString: database.url });
    expect(await creator.lastPosition("note", 0)).toBeUndefined();
    await creator.close();
    const sql = postgres(database.url, { max: 1, onnotice: () => {} });
    await sql`UPDATE streamstore_events_meta SET value = '2' WHERE name = 'schema_version'`;
    await sql.end();
    const archive = createPostgresArchive({ connectionString: database.url });
    const prefix = uniquePrefix("schema");
    try {
      // When the archive is used, Then it refuses with ArchiveSchemaError naming both versions
      const error = await caught(() => archive.lastPosition("note", 0));
      expect(isArchiveSchemaError(error)).toBe(true);
      expect(error).toMatchObject({
        table: "public.streamstore_events",
        foundVersion: 2,
        expectedVersion: 1,
      });
      expect((error as Error).message).toMatch(
        /^\[streamstore\] the archive public\.streamstore_events records archive schema version 2/,
      );
      // And an archiver on it logs each failed step, trims nothing; appends and hot reads go on
      await expectNothingTrimmed(prefix, archive, /records archive schema version 2/);
    } finally {
      await archive.close();
      await deleteKeys(redis, `${prefix}:*`);
    }
  });
});
