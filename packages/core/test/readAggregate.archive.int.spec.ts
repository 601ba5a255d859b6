import { randomBytes } from "node:crypto";
import { createFakeRedis, createInMemoryArchive, type InMemoryArchive } from "@streamstore/testing";
import { deleteKeys } from "@streamstore/testing/contract";
import fc from "fast-check";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { z } from "zod";
import {
  type ArchiveRequiredError,
  type CorruptEventError,
  defineEvents,
  type EventArchive,
  type EventStore,
  getRedisEventStore,
  isStreamstoreError,
  type ReadOptions,
  type RecordedEvent,
  silentLogger,
} from "../src/index.js";
import { archiveOldest } from "./support/archiveOldest.js";

// store.read over archived aggregates (issue 15, the cold tier): random aggregates appended
// interleaved in batches of 1 to 4 over two partitions, random prefixes of each partition log
// archived as the archiver does it (entries copied to the archive with archivedEntryOf, then
// trimArchived under its lease, in one or several steps, sometimes replayed), more appends after,
// then random reads (from, to, direction, limit, pageSize) compared with a plain model of the
// stream: the same versions, ids, types, data, metadata and positions, in order, with no gap and
// no duplicate at the seam. The same reads on a store without an archive give the hot part of
// the answer and then ArchiveRequiredError exactly when the answer reaches an archived version.
// On a real redis-server and on the in-memory fake, with core's script twins and in Lua.

const CATEGORY = "acct";
const PARTITIONS = 2;
const STREAMS = ["acct-1", "acct-2", "acct-3", "acct-4", "acct-5"] as const;
const TOKEN = "archiver-token";

const events = defineEvents({
  Deposited: z.object({ amount: z.number().int() }),
  Noted: z.object({ text: z.string() }),
});
type Store = EventStore<typeof events>;

interface Target {
  readonly name: string;
  readonly runs: number;
  open(): Redis;
}

const TARGETS: Target[] = [
  { name: "real Redis", runs: 300, open: () => new Redis(inject("redisUrl")) },
  { name: "the fake with script twins", runs: 300, open: () => createFakeRedis() },
  {
    name: "the fake running Lua",
    runs: 100,
    open: () => createFakeRedis({ scriptTwins: false }),
  },
];

/** One event as the model holds it: what a read must give back. */
interface ModelEvent {
  version: number;
  id: string;
  type: string;
  data: unknown;
  metadata: Record<string, unknown>;
  position: string;
}

/** What a read gives, in the model's terms. */
const seen = (event: RecordedEvent) => ({
  version: event.version,
  id: event.id,
  type: event.type,
  data: event.data,
  metadata: event.metadata,
  position: event.position,
});

interface World {
  redis: Redis;
  prefix: string;
  archive: InMemoryArchive;
  /** With the archive. */
  store: Store;
  /** The same prefix, no archive. */
  bare: Store;
  model: Map<string, ModelEvent[]>;
  append(stream: string, size: number, withMetadata?: boolean): Promise<void>;
  partitionOf(stream: string): Promise<number>;
  /**
   * Archives the oldest `count` entries of a partition log as the archiver does: copies them to
   * the archive, then trims them under the lease, in steps of `chunks` entries (the last one
   * takes the rest); `skip` leaves that version out of the archive (an archive that lost it).
   */
  archiveOldest(
    partition: number,
    count: number,
    options?: { chunks?: number[]; replay?: boolean; skip?: { stream: string; version: number } },
  ): Promise<void>;
  /** How many of a stream's oldest versions are archived (their positions are at or below the seam). */
  archivedOf(stream: string): Promise<number>;
}

let counter = 0;

async function world(redis: Redis, archive: EventArchive = createInMemoryArchive()) {
  const prefix = `arch-${randomBytes(6).toString("hex")}`;
  const options = {
    redis,
    events,
    prefix,
    partitions: PARTITIONS,
    serverCheck: "off" as const,
    logger: silentLogger,
  };
  const store = getRedisEventStore({ ...options, archive });
  const bare = getRedisEventStore(options);
  for (let partition = 0; partition < PARTITIONS; partition++) {
    await redis.set(store.keys.archiver(CATEGORY, partition), TOKEN);
  }
  const model = new Map<string, ModelEvent[]>();
  const partitionOf = async (stream: string) => (await store.locate(stream)).partition;
  const result: World = {
    redis,
    prefix,
    archive: archive as InMemoryArchive,
    store,
    bare,
    model,
    partitionOf,
    async append(stream, size, withMetadata = false) {
      const batch = Array.from({ length: size }, () => {
        const n = ++counter;
        const id = `ev-${n}`;
        const metadata = withMetadata ? { correlationId: `c-${n}`, n } : undefined;
        return n % 3 === 0
          ? { id, type: "Noted" as const, data: { text: `note ${n}` }, metadata }
          : { id, type: "Deposited" as const, data: { amount: n }, metadata };
      });
      const stored = model.get(stream) ?? [];
      const appended = await store.append(stream, batch, { expectedVersion: stored.length });
      batch.forEach((event, offset) => {
        stored.push({
          version: stored.length + 1,
          id: event.id,
          type: event.type,
          data: event.data,
          metadata: event.metadata ?? {},
          position: appended.positions[offset] as string,
        });
      });
      model.set(stream, stored);
    },
    async archiveOldest(partition, count, { chunks, replay, skip } = {}) {
      await archiveOldest(redis, store.keys, archive, {
        category: CATEGORY,
        partition,
        count,
        token: TOKEN,
        ...(chunks ? { chunks } : {}),
        ...(replay ? { replay } : {}),
        ...(skip ? { skip } : {}),
      });
    },
    async archivedOf(stream) {
      const partition = await partitionOf(stream);
      const seam = await redis.hget(store.keys.archived(CATEGORY, partition), "position");
      if (seam === null) return 0;
      const [seamMs, seamSeq] = seam.split("-").map(BigInt) as [bigint, bigint];
      return (model.get(stream) ?? []).filter(({ position }) => {
        const [ms, seq] = position.split("-").map(BigInt) as [bigint, bigint];
        return ms < seamMs || (ms === seamMs && seq <= seamSeq);
      }).length;
    },
  };
  return result;
}

/** The model's answer to a read: what `store.read(stream, options)` must yield, in order. */
function expectedRead(model: readonly ModelEvent[], options: ReadOptions): ModelEvent[] {
  if (options.to === 0) return [];
  const lowest = Math.max(options.from ?? 1, 1);
  const highest = Math.min(options.to ?? model.length, model.length);
  const range = model.filter(({ version }) => version >= lowest && version <= highest);
  if (options.direction === "backward") range.reverse();
  return range.slice(0, options.limit ?? range.length);
}

/** Everything a read yields, and the error that ended it, if any. */
async function collect(
  store: Store,
  stream: string,
  options: ReadOptions,
): Promise<{ events: ReturnType<typeof seen>[]; error?: unknown }> {
  const read: ReturnType<typeof seen>[] = [];
  try {
    for await (const event of store.read(stream, options)) read.push(seen(event));
    return { events: read };
  } catch (error) {
    return { events: read, error };
  }
}

// ---------------------------------------------------------------------------------------------
// Random histories

type Op =
  | { kind: "append"; stream: number; size: number; withMetadata: boolean }
  | {
      kind: "archive";
      partition: number;
      /** Per cent of the partition log's current entries to archive. */
      percent: number;
      chunks: number[];
      replay: boolean;
    };

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("append" as const),
      stream: fc.nat(STREAMS.length - 1),
      size: fc.integer({ min: 1, max: 4 }),
      withMetadata: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("archive" as const),
      partition: fc.nat(PARTITIONS - 1),
      percent: fc.integer({ min: 0, max: 100 }),
      chunks: fc.array(fc.integer({ min: 1, max: 6 }), { maxLength: 3 }),
      replay: fc.boolean(),
    }),
  },
);

interface ReadCase {
  stream: number;
  options: ReadOptions;
}

const readArbitrary: fc.Arbitrary<ReadCase> = fc.record({
  stream: fc.nat(STREAMS.length - 1),
  options: fc.record(
    {
      from: fc.nat(16),
      to: fc.nat(16),
      direction: fc.constantFrom("forward" as const, "backward" as const),
      limit: fc.nat(12),
      pageSize: fc.integer({ min: 1, max: 5 }),
    },
    { requiredKeys: ["pageSize"] },
  ),
});

describe.each(TARGETS)("store.read with an archive, on $name", (target) => {
  let redis: Redis;
  const prefixes: string[] = [];
  beforeAll(() => {
    redis = target.open();
  });
  afterEach(async () => {
    for (const prefix of prefixes.splice(0)) await deleteKeys(redis, `${prefix}:*`);
  });
  afterAll(() => {
    redis.disconnect();
  });
  const open = async (archive?: EventArchive) => {
    const opened = await world(redis, archive);
    prefixes.push(opened.prefix);
    return opened;
  };

  it("reads any range of random, partly archived aggregates exactly as the model, with no gap and no duplicate at the seam", async () => {
    const stats = { reads: 0, straddling: 0, archivedOnly: 0, required: 0, archiveSteps: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArbitrary, { minLength: 1, maxLength: 40 }),
        fc.array(readArbitrary, { minLength: 1, maxLength: 10 }),
        async (ops, reads) => {
          // Given random appends and archive steps
          const opened = await world(redis);
          try {
            for (const op of ops) {
              if (op.kind === "append") {
                await opened.append(STREAMS[op.stream] as string, op.size, op.withMetadata);
                continue;
              }
              const length = await redis.xlen(opened.store.keys.log(CATEGORY, op.partition));
              const count = Math.floor((length * op.percent) / 100);
              if (count === 0) continue;
              stats.archiveSteps++;
              await opened.archiveOldest(op.partition, count, {
                chunks: op.chunks,
                replay: op.replay,
              });
            }
            // Then every aggregate's version and existence are the model's
            for (const stream of STREAMS) {
              const length = opened.model.get(stream)?.length ?? 0;
              expect(await opened.store.version(stream)).toBe(length);
              expect(await opened.store.exists(stream)).toBe(length > 0);
            }
            // And every read gives the model's slice; without an archive, its hot part and then
            // ArchiveRequiredError exactly when the slice reaches an archived version
            for (const { stream: which, options } of reads) {
              const stream = STREAMS[which] as string;
              const expected = expectedRead(opened.model.get(stream) ?? [], options);
              const archived = await opened.archivedOf(stream);
              const withArchive = await collect(opened.store, stream, options);
              expect(withArchive.error).toBeUndefined();
              expect(withArchive.events, JSON.stringify({ stream, options, archived })).toEqual(
                expected,
              );
              const firstArchived = expected.findIndex(({ version }) => version <= archived);
              const withoutArchive = await collect(opened.bare, stream, options);
              if (firstArchived < 0) {
                expect(withoutArchive).toEqual({ events: expected });
              } else {
                expect(withoutArchive.events).toEqual(expected.slice(0, firstArchived));
                expect(isStreamstoreError(withoutArchive.error, "ARCHIVE_REQUIRED")).toBe(true);
                expect((withoutArchive.error as ArchiveRequiredError).archived).toBe(archived);
                stats.required++;
              }
              stats.reads++;
              if (expected.some(({ version }) => version <= archived)) {
                if (expected.some(({ version }) => version > archived)) stats.straddling++;
                else stats.archivedOnly++;
              }
            }
          } finally {
            await deleteKeys(redis, `${opened.prefix}:*`);
          }
        },
      ),
      { numRuns: target.runs },
    );
    // The histories reached the seam: reads across it, reads of archived versions only
    expect(stats.straddling).toBeGreaterThan(0);
    expect(stats.archivedOnly).toBeGreaterThan(0);
    expect(stats.required).toBeGreaterThan(0);
    console.log(`store.read with an archive on ${target.name}: ${JSON.stringify(stats)}`);
  }, 180_000);

  it("reads a fully archived aggregate backward from a `to` beyond its version, as it reads a hot one", async () => {
    // Given acct-1 with 5 events, all archived, and acct-2 with 5 hot ones
    const opened = await open();
    await opened.append("acct-1", 3);
    await opened.append("acct-1", 2);
    await opened.append("acct-2", 5);
    const partition = await opened.partitionOf("acct-1");
    const length = await redis.xlen(opened.store.keys.log(CATEGORY, partition));
    await opened.archiveOldest(partition, length);
    expect(await opened.archivedOf("acct-1")).toBe(5);
    // When each is read backward from version 9
    const archived = await collect(opened.store, "acct-1", { direction: "backward", to: 9 });
    const hot = await collect(opened.bare, "acct-2", { direction: "backward", to: 9 });
    // Then both give their five versions, newest first
    expect(hot.events.map(({ version }) => version)).toEqual([5, 4, 3, 2, 1]);
    expect(archived.error).toBeUndefined();
    expect(archived.events.map(({ version }) => version)).toEqual([5, 4, 3, 2, 1]);
  });

  it("throws ArchiveRequiredError without an archive only once a read reaches an archived version", async () => {
    // Given acct-1 with 6 events, its oldest 4 archived
    const opened = await open();
    await opened.append("acct-1", 2);
    await opened.append("acct-1", 2);
    const partition = await opened.partitionOf("acct-1");
    await opened.archiveOldest(partition, 4);
    await opened.append("acct-1", 2);
    const model = opened.model.get("acct-1") as ModelEvent[];
    // When reading only hot versions, Then it works without an archive
    expect((await collect(opened.bare, "acct-1", { from: 5 })).events).toEqual(model.slice(4));
    expect(
      (await collect(opened.bare, "acct-1", { direction: "backward", limit: 2, pageSize: 1 }))
        .events,
    ).toEqual([model[5], model[4]]);
    expect(await opened.bare.version("acct-1")).toBe(6);
    // When reading into the archived versions, Then a typed error, after the hot events
    const forward = await collect(opened.bare, "acct-1", { from: 3 });
    const backward = await collect(opened.bare, "acct-1", { direction: "backward", pageSize: 4 });
    expect(forward.events).toEqual([]);
    expect(backward.events).toEqual([model[5], model[4]]);
    for (const { error } of [forward, backward]) {
      expect(isStreamstoreError(error, "ARCHIVE_REQUIRED")).toBe(true);
      const required = error as ArchiveRequiredError;
      expect(required.streamName).toBe("acct-1");
      expect(required.archived).toBe(4);
      expect(required.message).toMatch(
        /^\[streamstore\] the oldest 4 events of "acct-1" are archived/,
      );
    }
  });

  it("throws CorruptEventError, never skipping it, when the archive lacks a version Redis counts as archived", async () => {
    // Given acct-1 with 6 events, the oldest 4 archived, the archive having lost version 2
    const opened = await open();
    await opened.append("acct-1", 3);
    await opened.append("acct-2", 1);
    await opened.append("acct-1", 3);
    const partition = await opened.partitionOf("acct-1");
    const entries = await redis.xrange(opened.store.keys.log(CATEGORY, partition), "-", "+");
    const throughV4 = entries.findIndex(
      ([position]) => position === opened.model.get("acct-1")?.[3]?.position,
    );
    await opened.archiveOldest(partition, throughV4 + 1, {
      skip: { stream: "acct-1", version: 2 },
    });
    const model = opened.model.get("acct-1") as ModelEvent[];
    // When it is read forward, backward, and from version 2 only
    const forward = await collect(opened.store, "acct-1", { pageSize: 2 });
    const backward = await collect(opened.store, "acct-1", { direction: "backward" });
    const single = await collect(opened.store, "acct-1", { from: 2, to: 2 });
    // Then each read stops at the gap with a CorruptEventError naming version 2
    expect(forward.events).toEqual([model[0]]);
    expect(backward.events).toEqual([model[5], model[4], model[3], model[2]]);
    expect(single.events).toEqual([]);
    for (const { error } of [forward, backward, single]) {
      expect(isStreamstoreError(error, "CORRUPT_EVENT")).toBe(true);
      expect((error as CorruptEventError).streamName).toBe("acct-1");
      expect((error as CorruptEventError).version).toBe(2);
      expect((error as Error).message).toMatch(/^\[streamstore\] .*archive/);
    }
    // And versions the archive holds still read
    expect((await collect(opened.store, "acct-1", { from: 3 })).events).toEqual(model.slice(2));
  });

  it("gives no gap and no duplicate when the seam moves between the pages of one read", async () => {
    // Given acct-1 with 12 events interleaved with acct-2's, its oldest 2 archived
    const opened = await open();
    for (let k = 0; k < 6; k++) {
      await opened.append("acct-1", 2);
      await opened.append("acct-2", 1);
    }
    const partition = await opened.partitionOf("acct-1");
    const logKey = opened.store.keys.log(CATEGORY, partition);
    const model = opened.model.get("acct-1") as ModelEvent[];
    /** Archives every log entry up to acct-1's version `version`. */
    const archiveThrough = async (version: number) => {
      const entries = await redis.xrange(logKey, "-", "+");
      const at = entries.findIndex(([position]) => position === model[version - 1]?.position);
      if (at >= 0) await opened.archiveOldest(partition, at + 1);
      expect(await opened.archivedOf("acct-1")).toBe(version);
    };
    await archiveThrough(2);
    const read = async (options: ReadOptions, moves: [number, number][]) => {
      const got: ModelEvent[] = [];
      for await (const event of opened.store.read("acct-1", { pageSize: 2, ...options })) {
        got.push(seen(event));
        for (const [after, version] of moves)
          if (got.length === after) await archiveThrough(version);
      }
      return got;
    };
    // When the seam moves forward while a forward read is in its Redis pages, then past its end
    const forward = await read({}, [
      [4, 7],
      [8, 12],
    ]);
    // Then the read gives every version once, in order
    expect(forward).toEqual(model);

    // Given a fresh acct-3 with 12 events, 2 archived
    const fresh = await open();
    await fresh.append("acct-3", 4);
    await fresh.append("acct-3", 4);
    await fresh.append("acct-3", 4);
    const freshPartition = await fresh.partitionOf("acct-3");
    const freshModel = fresh.model.get("acct-3") as ModelEvent[];
    await fresh.archiveOldest(freshPartition, 2);
    // When the seam moves into the page a backward read is about to read, then past its end
    const backward: ModelEvent[] = [];
    for await (const event of fresh.store.read("acct-3", { direction: "backward", pageSize: 2 })) {
      backward.push(seen(event));
      // 12 and 11 read: the seam moves to 9, inside the next page (10 and 9)
      if (backward.length === 2) await fresh.archiveOldest(freshPartition, 7);
      // 12 to 8 read: the seam moves past everything
      if (backward.length === 5) await fresh.archiveOldest(freshPartition, 3);
    }
    // Then it gives every version once, newest first
    expect(await fresh.archivedOf("acct-3")).toBe(12);
    expect(backward).toEqual([...freshModel].reverse());
  });
});
