import { randomBytes } from "node:crypto";
import { deleteKeys, dumpKeys, indexContents } from "@streamstore/testing/contract";
import type { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  type ConcurrencyError,
  type CorruptEventError,
  defineEvents,
  type EventStore,
  getRedisEventStore,
  isStreamstoreError,
  silentLogger,
} from "../src/index.js";
import { type TrimRequest, trimArchived } from "../src/internal.js";
import { REDIS_TARGETS, type RedisTarget } from "./support/redisTargets.js";

// The archiver's one write (ARCHIVE_TRIM_SCRIPT through trimArchived), on a real redis-server
// (the private one of the test run) and on the in-memory fake, with core's script twins and with
// every script in its Lua VM: fenced when the lease is not the caller's, all or nothing across
// the step's indexes, the log trimmed exactly up to the position, each index shrunk to a header
// and its hot records, the seam only moving forward, and the aggregates' versions,
// expected-version checks and appends unchanged by it. Each case keeps to a prefix of its own
// and deletes only its keys.

const events = defineEvents({ Deposited: z.object({ amount: z.number().int() }) });
type Store = EventStore<typeof events>;

type Target = RedisTarget;
const TARGETS = REDIS_TARGETS;

const opened: { redis: Redis; prefix: string }[] = [];
afterEach(async () => {
  for (const { redis, prefix } of opened.splice(0)) {
    await deleteKeys(redis, `${prefix}:*`);
    redis.disconnect();
  }
});

/** Every key of the prefix with its type, TTL and whole contents (indexes byte for byte). */
const dump = (redis: Redis, prefix: string) => dumpKeys(redis, `${prefix}:*`, { ttl: true });

/** One appended event as the test remembers it. */
interface Appended {
  stream: string;
  version: number;
  position: string;
  amount: number;
}

interface Context {
  redis: Redis;
  store: Store;
  prefix: string;
  /** Every appended event in log order (one category, one partition: positions only grow). */
  log: Appended[];
  append(stream: string, size: number): Promise<void>;
  /** The step that archives every log entry up to `through`, as the archiver would send it. */
  stepThrough(through: string, token?: string): TrimRequest;
  indexOf(stream: string): Promise<Buffer | null>;
}

const TOKEN = "archiver-token-1";
const CATEGORY = "acct";

function open(target: Target): Context {
  const redis = target.open();
  const prefix = `trim-${randomBytes(6).toString("hex")}`;
  opened.push({ redis, prefix });
  const store = getRedisEventStore({
    redis,
    events,
    prefix,
    serverCheck: "off",
    logger: silentLogger,
  });
  const log: Appended[] = [];
  let amount = 0;
  const context: Context = {
    redis,
    store,
    prefix,
    log,
    async append(stream, size) {
      const batch = Array.from({ length: size }, () => ({
        type: "Deposited" as const,
        data: { amount: ++amount },
      }));
      const result = await store.append(stream, batch);
      result.positions.forEach((position, offset) => {
        log.push({
          stream,
          version: result.nextExpectedVersion - size + 1 + offset,
          position,
          amount: (batch[offset] as { data: { amount: number } }).data.amount,
        });
      });
    },
    stepThrough(through, token = TOKEN) {
      const highest = new Map<string, Appended>();
      const cut = log.findIndex((event) => event.position === through);
      if (cut < 0) throw new Error(`no appended event at ${through}`);
      for (const event of log.slice(0, cut + 1)) highest.set(event.stream, event);
      return {
        category: CATEGORY,
        partition: 0,
        token,
        through,
        aggregates: [...highest.values()].map(({ stream, version, position }) => ({
          id: stream.slice(CATEGORY.length + 1),
          version,
          position,
        })),
      };
    },
    indexOf: (stream) => redis.getBuffer(store.keys.index(CATEGORY, 0, stream.slice(5))),
  };
  return context;
}

const lease = (context: Context, token = TOKEN) =>
  context.redis.set(context.store.keys.archiver(CATEGORY, 0), token);
const seamOf = (context: Context) =>
  context.redis.hgetall(context.store.keys.archived(CATEGORY, 0));
const logPositions = async (context: Context) =>
  (await context.redis.xrange(context.store.keys.log(CATEGORY, 0), "-", "+")).map(([id]) => id);

/** Three accounts appended interleaved, in batches of 1 to 3: 13 events, a1 b1 c1 a2 ... */
async function interleaved(context: Context): Promise<void> {
  const plan: [string, number][] = [
    ["acct-a", 2],
    ["acct-b", 1],
    ["acct-c", 3],
    ["acct-a", 1],
    ["acct-b", 2],
    ["acct-a", 1],
    ["acct-c", 1],
    ["acct-b", 2],
  ];
  for (const [stream, size] of plan) await context.append(stream, size);
}

/** What an account's index must hold once every event up to log entry `cut` (0-based) is archived. */
function expectedIndex(context: Context, stream: string, cut: number) {
  const mine = context.log.filter((event) => event.stream === stream);
  const archived = context.log.slice(0, cut + 1).filter((event) => event.stream === stream).length;
  return { archived, positions: mine.slice(archived).map((event) => event.position) };
}

describe.each(TARGETS)("trimArchived on $name", (target) => {
  it("changes nothing without the lease, with another owner's token, or once the lease is gone", async () => {
    // Given three accounts and a step that would archive half of the log
    const context = open(target);
    await interleaved(context);
    const step = context.stepThrough((context.log[6] as Appended).position);
    const untouched = await dump(context.redis, context.prefix);
    // When the step runs without a lease
    const withoutLease = await trimArchived(context.redis, context.store.keys, step);
    // Then it is fenced and nothing changed
    expect(withoutLease).toEqual({ outcome: "fenced" });
    expect(await dump(context.redis, context.prefix)).toEqual(untouched);

    // Given the lease held by another archiver
    await lease(context, "someone-else");
    const leased = await dump(context.redis, context.prefix);
    // When the step runs with our token, or an empty one
    const withOtherOwner = await trimArchived(context.redis, context.store.keys, step);
    const withEmptyToken = await trimArchived(context.redis, context.store.keys, {
      ...step,
      token: "",
    });
    // Then both are fenced and nothing changed
    expect([withOtherOwner, withEmptyToken]).toEqual([
      { outcome: "fenced" },
      { outcome: "fenced" },
    ]);
    expect(await dump(context.redis, context.prefix)).toEqual(leased);

    // When our lease expired (deleted) after we held it
    await lease(context);
    await context.redis.del(context.store.keys.archiver(CATEGORY, 0));
    // Then the step is fenced too
    expect(await trimArchived(context.redis, context.store.keys, step)).toEqual({
      outcome: "fenced",
    });
    expect(await dump(context.redis, context.prefix)).toEqual(untouched);
  });

  it("changes nothing when any index of the step is corrupt, names another position or has fewer versions, wherever it is in the step", async () => {
    // Given three accounts, our lease, and a valid step over all three
    const context = open(target);
    await interleaved(context);
    await lease(context);
    const step = context.stepThrough((context.log[8] as Appended).position);
    expect(step.aggregates.map(({ id }) => id)).toEqual(["a", "b", "c"]);
    const [a, b, c] = step.aggregates as [
      TrimRequest["aggregates"][number],
      TrimRequest["aggregates"][number],
      TrimRequest["aggregates"][number],
    ];
    const before = await dump(context.redis, context.prefix);
    const refusals: unknown[] = [];
    const attempt = async (aggregates: TrimRequest["aggregates"]) => {
      try {
        await trimArchived(context.redis, context.store.keys, { ...step, aggregates });
        refusals.push("trimmed");
      } catch (error) {
        refusals.push(error);
      }
      // Then nothing changed: not the log, not an index, no seam
      expect(await dump(context.redis, context.prefix)).toEqual(before);
    };
    // When the last aggregate names the position of another of its versions
    await attempt([a, b, { ...c, position: a.position }]);
    // When the first names a version the aggregate does not have
    await attempt([{ ...a, version: 99 }, b, c]);
    // When the middle one is a version whose record holds another position
    await attempt([a, { ...b, version: b.version - 1 }, c]);
    // When an index of the step is corrupt (written by hand), in the middle
    const corruptKey = context.store.keys.index(CATEGORY, 0, "z");
    await context.redis.set(corruptKey, Buffer.alloc(13, 1));
    const withCorrupt = await dump(context.redis, context.prefix);
    refusals.push(
      await trimArchived(context.redis, context.store.keys, {
        ...step,
        aggregates: [a, { id: "z", version: 1, position: a.position }, b, c],
      }).catch((error: unknown) => error),
    );
    expect(await dump(context.redis, context.prefix)).toEqual(withCorrupt);
    // When a header is there but does not start with "A"
    await context.redis.set(corruptKey, Buffer.from("B\0\0\0\0\0\x01", "latin1"));
    const withBadHeader = await dump(context.redis, context.prefix);
    refusals.push(
      await trimArchived(context.redis, context.store.keys, {
        ...step,
        aggregates: [a, b, c, { id: "z", version: 1, position: a.position }],
      }).catch((error: unknown) => error),
    );
    expect(await dump(context.redis, context.prefix)).toEqual(withBadHeader);
    // Then each was refused as a corrupt index, naming it
    expect(refusals).toHaveLength(5);
    const indexKeys = [c.id, a.id, b.id, "z", "z"].map((id) =>
      context.store.keys.index(CATEGORY, 0, id),
    );
    refusals.forEach((refusal, at) => {
      expect(isStreamstoreError(refusal, "CORRUPT_EVENT")).toBe(true);
      expect((refusal as CorruptEventError).entryId).toBe(indexKeys[at]);
      expect((refusal as Error).message).toMatch(/^\[streamstore\] .*nothing was trimmed/);
    });
  });

  it("trims the log of exactly the entries up to the position and shrinks each index to a header and its hot records", async () => {
    // Given three accounts interleaved, then 240 more events (past one listpack node of the log)
    const context = open(target);
    await interleaved(context);
    for (let round = 0; round < 80; round++) {
      await context.append(["acct-a", "acct-b", "acct-c"][round % 3] as string, 3);
    }
    await lease(context);
    const cut = 150;
    const through = (context.log[cut] as Appended).position;
    // When every entry up to the 151st is archived
    const result = await trimArchived(
      context.redis,
      context.store.keys,
      context.stepThrough(through),
    );
    // Then the log lost exactly those, and holds the others in order
    expect(result).toEqual({ outcome: "trimmed", trimmed: cut + 1 });
    expect(await logPositions(context)).toEqual(
      context.log.slice(cut + 1).map((event) => event.position),
    );
    // And each index is the header counting its archived versions, then its hot records
    for (const stream of ["acct-a", "acct-b", "acct-c"]) {
      const index = await context.indexOf(stream);
      const expected = expectedIndex(context, stream, cut);
      expect(indexContents(index)).toEqual(expected);
      expect(index?.length).toBe(7 + 12 * expected.positions.length);
      expect(index?.subarray(0, 7).toString("hex")).toBe(
        `41${expected.archived.toString(16).padStart(12, "0")}`,
      );
    }
    expect(await seamOf(context)).toEqual({ position: through, events: String(cut + 1) });
  });

  it("leaves a fully archived aggregate's index as its 7-byte header, in several steps", async () => {
    // Given three accounts interleaved
    const context = open(target);
    await interleaved(context);
    await lease(context);
    // When the log is archived in three steps, the last one through its last entry
    const cuts = [2, 7, context.log.length - 1];
    const trimmed: unknown[] = [];
    for (const cut of cuts) {
      const step = context.stepThrough((context.log[cut] as Appended).position);
      trimmed.push(await trimArchived(context.redis, context.store.keys, step));
      // Then after each step the indexes and the seam say what was archived so far
      for (const stream of ["acct-a", "acct-b", "acct-c"]) {
        expect(indexContents(await context.indexOf(stream))).toEqual(
          expectedIndex(context, stream, cut),
        );
      }
      expect(await seamOf(context)).toEqual({
        position: (context.log[cut] as Appended).position,
        events: String(cut + 1),
      });
    }
    expect(trimmed).toEqual([
      { outcome: "trimmed", trimmed: 3 },
      { outcome: "trimmed", trimmed: 5 },
      { outcome: "trimmed", trimmed: context.log.length - 8 },
    ]);
    // Then every index is its header only, the log is empty, the versions are kept
    expect((await context.indexOf("acct-a"))?.toString("hex")).toBe("41000000000004");
    expect((await context.indexOf("acct-b"))?.toString("hex")).toBe("41000000000005");
    expect((await context.indexOf("acct-c"))?.toString("hex")).toBe("41000000000004");
    expect(await logPositions(context)).toEqual([]);
    expect(
      await Promise.all(["acct-a", "acct-b", "acct-c"].map((s) => context.store.version(s))),
    ).toEqual([4, 5, 4]);
  });

  it("trims nothing and never moves the seam back when an older step is replayed", async () => {
    // Given two steps done
    const context = open(target);
    await interleaved(context);
    await lease(context);
    const first = context.stepThrough((context.log[3] as Appended).position);
    const second = context.stepThrough((context.log[9] as Appended).position);
    await trimArchived(context.redis, context.store.keys, first);
    await trimArchived(context.redis, context.store.keys, second);
    const after = await dump(context.redis, context.prefix);
    // When the first (and the second) is replayed, as after a crash before the archiver recorded it
    const replays = [
      await trimArchived(context.redis, context.store.keys, first),
      await trimArchived(context.redis, context.store.keys, second),
      // and an older step naming versions the indexes no longer hold records of
      await trimArchived(
        context.redis,
        context.store.keys,
        context.stepThrough((context.log[0] as Appended).position),
      ),
    ];
    // Then it trims nothing, and the seam, indexes and log stay as they were
    expect(replays).toEqual([
      { outcome: "trimmed", trimmed: 0 },
      { outcome: "trimmed", trimmed: 0 },
      { outcome: "trimmed", trimmed: 0 },
    ]);
    expect(await dump(context.redis, context.prefix)).toEqual(after);
    expect(await seamOf(context)).toEqual({
      position: (context.log[9] as Appended).position,
      events: "10",
    });
  });

  it("keeps versions, expected-version checks and appends working after trimming", async () => {
    // Given acct-a fully archived (4 events), acct-b half archived (3 of 5): through acct-c's 4th
    const context = open(target);
    await interleaved(context);
    await lease(context);
    const cut = context.log.findIndex((event) => event.stream === "acct-c" && event.version === 4);
    expect(context.log.slice(cut + 1).map(({ stream, version }) => [stream, version])).toEqual([
      ["acct-b", 4],
      ["acct-b", 5],
    ]);
    await trimArchived(
      context.redis,
      context.store.keys,
      context.stepThrough((context.log[cut] as Appended).position),
    );
    const { store } = context;
    // Then versions and existence count the archived events
    expect(await store.version("acct-a")).toBe(4);
    expect(await store.exists("acct-a")).toBe(true);
    expect(await store.version("acct-b")).toBe(5);
    // And a stale expected version, or no_stream, is a conflict with the actual version
    const conflicts = await Promise.all([
      store
        .append("acct-a", [{ type: "Deposited", data: { amount: 0 } }], { expectedVersion: 2 })
        .catch((error: unknown) => error),
      store
        .append("acct-a", [{ type: "Deposited", data: { amount: 0 } }], {
          expectedVersion: "no_stream",
        })
        .catch((error: unknown) => error),
      store
        .append("acct-b", [{ type: "Deposited", data: { amount: 0 } }], { expectedVersion: 3 })
        .catch((error: unknown) => error),
    ]);
    expect(
      conflicts.map((error) => {
        expect(isStreamstoreError(error, "CONCURRENCY")).toBe(true);
        const { actualVersion, streamExists } = error as ConcurrencyError;
        return [actualVersion, streamExists];
      }),
    ).toEqual([
      [4, true],
      [4, true],
      [5, true],
    ]);
    // When appending at the right versions
    const toA = await store.append("acct-a", [{ type: "Deposited", data: { amount: 100 } }], {
      expectedVersion: 4,
    });
    const toB = await store.append(
      "acct-b",
      [
        { type: "Deposited", data: { amount: 101 } },
        { type: "Deposited", data: { amount: 102 } },
      ],
      { expectedVersion: "stream_exists" },
    );
    // Then they land after the archived versions, and the hot versions read back
    expect(toA.nextExpectedVersion).toBe(5);
    expect(toB.nextExpectedVersion).toBe(7);
    const hotOfB: [number, number][] = [];
    for await (const event of store.read("acct-b", { from: 4 })) {
      hotOfB.push([event.version, event.data.amount]);
    }
    const b = context.log.filter((event) => event.stream === "acct-b");
    expect(hotOfB).toEqual([
      [4, (b[3] as Appended).amount],
      [5, (b[4] as Appended).amount],
      [6, 101],
      [7, 102],
    ]);
    const hotOfA: number[] = [];
    for await (const event of store.read("acct-a", { direction: "backward", from: 5 })) {
      hotOfA.push(event.version);
    }
    expect(hotOfA).toEqual([5]);
    expect(indexContents(await context.indexOf("acct-a"))).toEqual({
      archived: 4,
      positions: [toA.positions[0]],
    });
  });

  it("ends an aggregate listed twice in one step at its highest archived version, or refuses the step, never losing a hot version", async () => {
    // Given acct-x with five versions, and a step listing it at versions 2 and 4 (in both orders)
    for (const order of [
      [2, 4],
      [4, 2],
    ]) {
      const context = open(target);
      for (let k = 0; k < 5; k++) await context.append("acct-x", 1);
      await lease(context);
      const at = (version: number) => ({
        id: "x",
        version,
        position: (context.log[version - 1] as Appended).position,
      });
      const before = await dump(context.redis, context.prefix);
      // When the step runs
      const outcome = await trimArchived(context.redis, context.store.keys, {
        category: CATEGORY,
        partition: 0,
        token: TOKEN,
        through: (context.log[3] as Appended).position,
        aggregates: order.map(at),
      }).catch((error: unknown) => error);
      // Then either nothing changed, or version 5 is still there and still readable
      if (outcome instanceof Error) {
        expect(await dump(context.redis, context.prefix)).toEqual(before);
        continue;
      }
      expect(await context.store.version("acct-x")).toBe(5);
      expect(indexContents(await context.indexOf("acct-x"))).toEqual({
        archived: 4,
        positions: [(context.log[4] as Appended).position],
      });
    }
  });

  it("refuses an aggregate version logged after the step's position, changing nothing", async () => {
    // Given acct-a at versions 1..4; a step through version 2 that names version 3 of acct-a
    const context = open(target);
    for (let k = 0; k < 4; k++) await context.append("acct-a", 1);
    await lease(context);
    const before = await dump(context.redis, context.prefix);
    // When it runs
    const outcome = await trimArchived(context.redis, context.store.keys, {
      category: CATEGORY,
      partition: 0,
      token: TOKEN,
      through: (context.log[1] as Appended).position,
      aggregates: [{ id: "a", version: 3, position: (context.log[2] as Appended).position }],
    }).catch((error: unknown) => error);
    // Then it is refused (the archive committed nothing after the position, so version 3 would
    // be neither in Redis nor in the archive), and nothing changed
    expect(isStreamstoreError(outcome, "CORRUPT_EVENT")).toBe(true);
    expect(await dump(context.redis, context.prefix)).toEqual(before);
  });
});

describe("trimArchived on real Redis: memory", () => {
  it("leaves a fully archived aggregate's index key costing no more than a one-record index", async () => {
    // Given an account with 50 events, and a key of the same name length holding one record
    const context = open(TARGETS[0] as Target);
    for (let k = 0; k < 10; k++) await context.append("acct-m", 5);
    const key = context.store.keys.index(CATEGORY, 0, "m");
    const oneRecordKey = context.store.keys.index(CATEGORY, 0, "n");
    await context.redis.set(oneRecordKey, Buffer.alloc(12, 1));
    const usage = async (name: string) => Number(await context.redis.call("MEMORY", "USAGE", name));
    const hot = await usage(key);
    await lease(context);
    // When it is fully archived
    await trimArchived(
      context.redis,
      context.store.keys,
      context.stepThrough((context.log.at(-1) as Appended).position),
    );
    // Then its index is the 7-byte header alone: the key, its name and a small embedded string
    // (MEMORY USAGE counts the dict entry, the key name and the value object)
    const archived = await usage(key);
    const oneRecord = await usage(oneRecordKey);
    console.log(
      `MEMORY USAGE of an index key with a ${key.length}-byte name: 50 records ${hot} B, one record ${oneRecord} B, fully archived (7-byte header) ${archived} B`,
    );
    expect(await context.redis.strlen(key)).toBe(7);
    expect(archived).toBeLessThanOrEqual(oneRecord);
    expect(archived).toBeLessThan(96);
    expect(archived).toBeLessThan(hot / 5);
  });
});
