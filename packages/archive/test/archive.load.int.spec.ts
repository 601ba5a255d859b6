import type { EventArchive } from "@streamstore/core";
import { keyLayout } from "@streamstore/core/internal";
import {
  createInMemoryReadModelStore,
  defineProjection,
  type ProjectionRunner,
  startProjection,
} from "@streamstore/projections";
import { type RedisServerHandle, startRedisServer } from "@streamstore/testing";
import { deleteKeys } from "@streamstore/testing/contract";
import { Redis } from "ioredis";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startArchiver } from "../src/archiver/startArchiver.js";
import { createPostgresArchive } from "../src/createPostgresArchive.js";
import {
  compareIds,
  Ledger,
  loadEvents,
  loadStore,
  redisNowMs,
  startWriters,
  streamsDifferingFromLedger,
  usedMemory,
  waitFor,
  waitForRedisTimePast,
} from "./support/archiveLoad.js";
import { createTestDatabase, type TestDatabase } from "./support/createTestDatabase.js";

// Issue 15, correctness under load: 3 categories × 4 partitions, 200,000 events appended by 8
// concurrent writers (batches of 1–3, random aggregates) while the archiver runs (10,000 hot per
// partition) and projections run, against the suite's private Redis and a PostgreSQL database of
// this file's own. Takes about 1.5–3 minutes on a busy 2-core machine (the figures are printed).

const TOTAL = 200_000;
const CATEGORIES = ["order", "payment", "shipment"] as const;
const PARTITIONS = 4;
const AGGREGATES_PER_CATEGORY = 1_000;
const KEEP = 10_000;
const WRITERS = 8;
// The "audit" projection stops after this many appends: its consumer group then holds back
// trimming at ~2,000 entries per partition, below what the 10,000-event hot window alone allows.
const AUDIT_STOPS_AT = 24_000;
const SEED = Number(process.env.STREAMSTORE_SEED ?? Date.now() % 1_000_000);

const totals = defineProjection(loadEvents, {
  name: "load-totals",
  version: 1,
  source: [...CATEGORIES],
  key: (event) => event.streamName,
  initialState: () => ({ count: 0, version: 0, sum: 0 }),
  handlers: {
    Noted: (draft, event) => {
      draft.count += 1;
      draft.version = event.version;
      draft.sum += event.data.n;
    },
  },
});
const audit = defineProjection(loadEvents, {
  name: "load-audit",
  version: 1,
  source: [...CATEGORIES],
  key: (event) => event.streamName,
  initialState: () => ({ count: 0 }),
  handlers: {
    Noted: (draft) => {
      draft.count += 1;
    },
  },
});

let database: TestDatabase;
let sql: postgres.Sql;
let admin: Redis;
// A Redis of its own: used_memory is measured, and other test files write to the suite's Redis
// at the same time.
let server: RedisServerHandle;
beforeAll(async () => {
  database = await createTestDatabase();
  sql = postgres(database.url, { max: 2, onnotice: () => {} });
  server = await startRedisServer();
  admin = new Redis(server.url);
});
afterAll(async () => {
  await sql?.end({ timeout: 5 });
  await database?.drop();
  await admin?.quit();
  await server?.stop();
});

const uniquePrefix = () =>
  `arch-load-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/** XINFO GROUPS of a log: each group's last-delivered id and oldest pending id. */
async function groupFloors(
  redis: Redis,
  log: string,
): Promise<{ name: string; lastDelivered: string; oldestPending: string | undefined }[]> {
  const groups = (await redis.xinfo("GROUPS", log)) as unknown[][];
  const floors = [];
  for (const group of groups) {
    const fields = new Map<string, unknown>();
    for (let i = 0; i + 1 < group.length; i += 2) fields.set(String(group[i]), group[i + 1]);
    const name = String(fields.get("name"));
    const pending = Number(fields.get("pending"));
    const summary = pending > 0 ? ((await redis.xpending(log, name)) as unknown[]) : [];
    floors.push({
      name,
      lastDelivered: String(fields.get("last-delivered-id")),
      oldestPending: summary[1] ? String(summary[1]) : undefined,
    });
  }
  return floors;
}

describe("the archiver under load", () => {
  it("archives while writers and projections run: every aggregate reads as appended, every archived event is in PostgreSQL once, Redis keeps only the hot window and frees the memory", async () => {
    const redisUrl = server.url;
    const prefix = uniquePrefix();
    const keys = keyLayout(prefix);
    const archive: EventArchive = createPostgresArchive({ connectionString: database.url });
    const archiverRedis = new Redis(redisUrl);
    const projectionRedis = new Redis(redisUrl, { maxRetriesPerRequest: null });
    const readerRedis = new Redis(redisUrl);
    const store = loadStore(projectionRedis, prefix, PARTITIONS);
    const totalsModel = createInMemoryReadModelStore({ name: "load-totals" });
    const auditModel = createInMemoryReadModelStore({ name: "load-audit" });
    const runners: ProjectionRunner<unknown>[] = [];
    const startedAt = performance.now();
    const elapsed = () => `${((performance.now() - startedAt) / 1000).toFixed(1)} s`;
    const logs = CATEGORIES.flatMap((category) =>
      Array.from({ length: PARTITIONS }, (_, partition) => ({ category, partition })),
    );
    const archiverErrors: string[] = [];
    const archiver = startArchiver({
      redis: archiverRedis,
      archive,
      prefix,
      policies: { default: { keepEvents: KEEP } },
      minAgeMs: 1000,
      idleMs: 50,
      logger: {
        debug: () => {},
        info: () => {},
        warn: () => {},
        error: (_fields, message) => archiverErrors.push(message),
      },
    });
    const seamEvents = async () => {
      let sum = 0;
      for (const { category, partition } of logs) {
        sum += Number((await admin.hget(keys.archived(category, partition), "events")) ?? 0);
      }
      return sum;
    };
    try {
      // Given an empty prefix, the memory Redis uses without it, an archiver and two projections
      const memoryBase = await usedMemory(admin);
      const ledger = new Ledger();
      const runnerOptions = (readModel: typeof totalsModel) => ({
        redis: projectionRedis,
        store,
        readModel,
        archive,
        batchSize: 500,
      });
      const totalsRunner = startProjection(totals, runnerOptions(totalsModel));
      const auditRunner = startProjection(audit, runnerOptions(auditModel));
      runners.push(totalsRunner, auditRunner);
      console.log(`[load] seed ${SEED}, prefix ${prefix}, database ${database.name}`);

      // When 8 writers append 200,000 events, and the audit projection stops after 24,000
      const writers = startWriters({
        redisUrl,
        prefix,
        partitions: PARTITIONS,
        categories: CATEGORIES,
        aggregatesPerCategory: AGGREGATES_PER_CATEGORY,
        writers: WRITERS,
        total: TOTAL,
        seed: SEED,
        ledger,
      });
      await writers.reached(AUDIT_STOPS_AT);
      await auditRunner.stop();
      await writers.done;
      const appendSeconds = (performance.now() - startedAt) / 1000;
      const archivedWhileWriting = await seamEvents();
      console.log(
        `[load] ${ledger.count} events appended in ${appendSeconds.toFixed(1)} s (${Math.round(ledger.count / appendSeconds)} events/s); archived meanwhile: ${archivedWhileWriting}`,
      );
      expect(ledger.count).toBe(TOTAL);
      // The archiver did move events while the writers were appending
      expect(archivedWhileWriting).toBeGreaterThan(0);

      // Then, once every event is older than the archiver's minimum age and it is idle, the
      // stopped projection's consumer group holds trimming back: every entry it has not read
      // and acknowledged is still in Redis, though the hot window alone would let it go
      await waitForRedisTimePast(admin, writers.newestMs() + 1000);
      await archiver.waitUntilIdle({ timeoutMs: 120_000 });
      let heldBack = 0;
      let hotBefore = 0;
      for (const { category, partition } of logs) {
        const log = keys.log(category, partition);
        const floors = await groupFloors(admin, log);
        const auditFloor = floors.find((floor) => floor.name === `rm:load-audit:v1`);
        expect(auditFloor).toBeDefined();
        const floor = auditFloor?.oldestPending
          ? auditFloor.oldestPending
          : (auditFloor?.lastDelivered as string);
        const entries = ledger.partitionLog(category, partition);
        const unsettled = entries.filter((entry) =>
          auditFloor?.oldestPending
            ? compareIds(entry.position, floor) >= 0
            : compareIds(entry.position, floor) > 0,
        ).length;
        const length = await admin.xlen(log);
        expect(length).toBe(Math.max(KEEP, unsettled));
        const seam = await admin.hget(keys.archived(category, partition), "position");
        if (seam !== null) expect(compareIds(seam, floor)).toBeLessThanOrEqual(0);
        heldBack += length - KEEP;
        hotBefore += length;
      }
      expect(heldBack).toBeGreaterThan(0);
      const memoryBefore = await usedMemory(admin);
      console.log(
        `[load] ${elapsed()}: held back by the stopped projection: ${heldBack} events beyond the hot window (${hotBefore} hot)`,
      );

      // And once the audit projection runs again and catches up, the archiver trims to the window
      const auditAgain = startProjection(audit, runnerOptions(auditModel));
      runners.push(auditAgain);
      await auditAgain.waitUntilCaughtUp(undefined, { timeoutMs: 120_000 });
      await totalsRunner.waitUntilCaughtUp(undefined, { timeoutMs: 120_000 });
      await waitFor(
        "every partition log to be trimmed to its hot window",
        async () => {
          for (const { category, partition } of logs) {
            if ((await admin.xlen(keys.log(category, partition))) !== KEEP) return false;
          }
          return true;
        },
        { timeoutMs: 120_000, everyMs: 100 },
      );
      await archiver.waitUntilIdle({ timeoutMs: 60_000 });
      await archiver.stop();
      for (const runner of runners) await runner.stop();
      const memoryAfter = await usedMemory(admin);
      const hotAfter = logs.length * KEEP;

      // Memory arithmetic. memoryBefore − memoryBase is everything the prefix held in Redis at
      // that point: the hot log entries (hotBefore), the aggregates' indexes and keys, seams and
      // consumer groups. Attributing all of it to the hot events in proportion, the events
      // archived since (hotBefore − hotAfter of them) used
      //   share = (memoryBefore − memoryBase) × (hotBefore − hotAfter) / hotBefore.
      // That overstates their share (the per-aggregate keys and per-partition state stay), so
      // requiring the fall memoryBefore − memoryAfter to be ≥ 90% of it is on the strict side.
      const archivedSince = hotBefore - hotAfter;
      const share = ((memoryBefore - memoryBase) * archivedSince) / hotBefore;
      const fall = memoryBefore - memoryAfter;
      console.log(
        `[load] used_memory: base ${memoryBase} B, before ${memoryBefore} B (${hotBefore} hot events, ${((memoryBefore - memoryBase) / hotBefore).toFixed(1)} B each with their share of the keys), after ${memoryAfter} B (${hotAfter} hot); ${archivedSince} events archived in between used ${Math.round(share)} B, the fall is ${fall} B = ${((100 * fall) / share).toFixed(1)}% of it`,
      );
      expect(fall).toBeGreaterThanOrEqual(0.9 * share);

      // And every aggregate reads back exactly what its writers appended, through the seam
      const reader = loadStore(readerRedis, prefix, PARTITIONS, archive);
      const readStarted = performance.now();
      const readBack = await streamsDifferingFromLedger(reader, ledger);
      console.log(
        `[load] ${elapsed()}: read ${readBack.events} events of ${readBack.checked} aggregates back in ${((performance.now() - readStarted) / 1000).toFixed(1)} s`,
      );
      expect(readBack.differing).toEqual([]);
      expect(readBack.events).toBe(TOTAL);

      // And PostgreSQL holds every archived event exactly once, and nothing else
      const archivedLedger = new Map<string, string>();
      let archivedTotal = 0;
      for (const { category, partition } of logs) {
        const seam = await admin.hgetall(keys.archived(category, partition));
        const entries = ledger.partitionLog(category, partition);
        const archived = entries.slice(0, entries.length - KEEP);
        expect(seam.position).toBe(archived.at(-1)?.position);
        expect(Number(seam.events)).toBe(archived.length);
        // Redis holds only the hot window: exactly the newest 10,000 entries of each log
        const [first] = await admin.xrange(keys.log(category, partition), "-", "+", "COUNT", 1);
        expect(first?.[0]).toBe(entries[entries.length - KEEP]?.position);
        for (const entry of archived) {
          archivedLedger.set(
            `${category}|${partition}|${entry.position}`,
            `${entry.stream}|${entry.version}|${entry.id}`,
          );
        }
        archivedTotal += archived.length;
      }
      expect(archivedTotal).toBe(TOTAL - hotAfter);
      const [counts] = await sql<
        { rows: string; positions: string; versions: string; ids: string }[]
      >`SELECT count(*) AS rows,
          count(DISTINCT (category, partition, position_ms, position_seq)) AS positions,
          count(DISTINCT (stream, version)) AS versions, count(DISTINCT event_id) AS ids
        FROM streamstore_events`;
      expect(counts).toEqual({
        rows: String(archivedTotal),
        positions: String(archivedTotal),
        versions: String(archivedTotal),
        ids: String(archivedTotal),
      });
      const constraints = await sql<{ kind: string; definition: string }[]>`
        SELECT contype::text AS kind, pg_get_constraintdef(oid) AS definition FROM pg_constraint
        WHERE conrelid = 'public.streamstore_events'::regclass AND contype IN ('p', 'u')
        ORDER BY contype`;
      expect(constraints).toEqual([
        {
          kind: "p",
          definition: "PRIMARY KEY (category, partition, position_ms, position_seq)",
        },
        { kind: "u", definition: "UNIQUE (stream, version)" },
      ]);
      const rows = await sql<{ key: string; value: string }[]>`
        SELECT category || '|' || partition || '|' || position_ms || '-' || position_seq AS key,
          stream || '|' || version || '|' || event_id AS value FROM streamstore_events`;
      const stored = new Map(rows.map((row) => [row.key, row.value]));
      expect(stored.size).toBe(archivedTotal);
      const mismatched = [...archivedLedger].filter(([key, value]) => stored.get(key) !== value);
      expect(mismatched).toEqual([]);

      // And each index is a 7-byte header counting its archived versions plus its hot records
      const sorted = ledger.sorted();
      const seams = new Map<string, string>();
      for (const { category, partition } of logs) {
        seams.set(
          `${category}|${partition}`,
          (await admin.hget(keys.archived(category, partition), "position")) as string,
        );
      }
      const pipeline = admin.pipeline();
      const expectedIndexes: { archived: number; hot: number }[] = [];
      for (const [stream, events] of sorted) {
        const { category, partition } = events[0] as (typeof events)[number];
        const seam = seams.get(`${category}|${partition}`) as string;
        const archived = events.filter((event) => compareIds(event.position, seam) <= 0).length;
        expectedIndexes.push({ archived, hot: events.length - archived });
        pipeline.getBuffer(keys.index(category, partition, stream.slice(category.length + 1)));
      }
      const indexes = ((await pipeline.exec()) ?? []).map(([, value]) => value as Buffer);
      const wrongIndexes = indexes.filter((index, k) => {
        const { archived, hot } = expectedIndexes[k] as { archived: number; hot: number };
        if (archived === 0) return index.length !== 12 * hot;
        return (
          index.length !== 7 + 12 * hot ||
          index.toString("latin1", 0, 1) !== "A" ||
          index.readUIntBE(1, 6) !== archived
        );
      });
      expect(wrongIndexes).toHaveLength(0);

      // And both projections saw every event once (the audit one across its restart)
      const totalsStates = await Promise.all(
        [...sorted.keys()].map((stream) => totalsRunner.get(stream)),
      );
      const auditStates = await Promise.all(
        [...sorted.keys()].map((stream) => auditAgain.get(stream)),
      );
      [...sorted.values()].forEach((events, k) => {
        const expected = {
          count: events.length,
          version: events.length,
          sum: events.reduce((sum, event) => sum + event.n, 0),
        };
        expect(totalsStates[k]).toEqual(expected);
        expect(auditStates[k]).toEqual({ count: events.length });
      });
      expect(archiverErrors).toEqual([]);
      console.log(
        `[load] ${elapsed()} in all (Redis clock ${await redisNowMs(admin)}); archived ${archivedTotal} events into PostgreSQL`,
      );
    } finally {
      await archiver.stop();
      for (const runner of runners) await runner.stop().catch(() => {});
      await archive.close();
      await deleteKeys(admin, `${prefix}:*`);
      archiverRedis.disconnect();
      projectionRedis.disconnect();
      readerRedis.disconnect();
    }
  }, 600_000);
});
