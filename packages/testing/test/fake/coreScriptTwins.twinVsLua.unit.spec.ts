import { createHash } from "node:crypto";
import {
  APPEND_SCRIPT,
  ARCHIVE_TRIM_SCRIPT,
  READ_SCRIPT,
  SNAPSHOT_SCRIPT,
  VERSION_SCRIPT,
} from "@streamstore/core/internal";
import { afterEach, describe, expect, it } from "vitest";
import { indexContents, indexRecord } from "../../src/contract/indexRecords.js";
import { createFakeRedis, createManualClock, type FakeRedis } from "../../src/index.js";
import { type Outcome, outcome } from "./support/outcome.js";

// Each case runs the same raw commands on two fakes, one running core's scripts as native twins
// and one in the Lua VM, and requires the same replies, the same errors (text included) and the
// same data afterwards (index strings byte for byte). The contract suite proves the same through
// the event store; these reach replies and states the store's API does not show (raw reply
// shapes, error lines, fallbacks, corrupt indexes). Error texts asserted literally below are the
// ones Redis 7.0.15 answers to the same calls.

const clients: FakeRedis[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});

interface Pair {
  readonly twin: FakeRedis;
  readonly lua: FakeRedis;
}

function pair(): Pair {
  // One fixed clock per fake: `*` ids then come out the same on both.
  const twin = createFakeRedis({ clock: createManualClock(1_700_000_000_000) });
  const lua = createFakeRedis({
    clock: createManualClock(1_700_000_000_000),
    scriptTwins: false,
  });
  clients.push(twin, lua);
  return { twin, lua };
}

/** Every key with its type and full contents: strings as hex bytes, streams with their XINFO. */
async function dump(redis: FakeRedis): Promise<Record<string, unknown>> {
  const result: Record<string, unknown> = {};
  for (const key of (await redis.keys("*")).sort()) {
    const type = await redis.type(key);
    if (type === "stream") {
      result[key] = {
        entries: await redis.xrange(key, "-", "+"),
        info: await redis.xinfo("STREAM", key),
      };
    } else if (type === "hash") {
      result[key] = await redis.hgetall(key);
    } else if (type === "string") {
      result[key] = { hex: (await redis.getBuffer(key))?.toString("hex") };
    } else {
      result[key] = { type };
    }
  }
  return result;
}

type Step = () => Promise<unknown>;

/** Runs `steps` one after another on both fakes; returns the twin side's outcomes once Lua matched. */
async function same(
  steps: (redis: FakeRedis) => Step[],
): Promise<{ twin: FakeRedis; outcomes: Outcome[] }> {
  const { twin, lua } = pair();
  const run = async (redis: FakeRedis) => {
    const outcomes: Outcome[] = [];
    for (const step of steps(redis)) outcomes.push(await outcome(step()));
    return outcomes;
  };
  const twinOutcomes = await run(twin);
  const luaOutcomes = await run(lua);
  expect(twinOutcomes).toEqual(luaOutcomes);
  expect(await dump(twin)).toEqual(await dump(lua));
  expect(lua.scriptRunCounts().twin).toBe(0);
  return { twin, outcomes: twinOutcomes };
}

/** Replies, or error texts, in order. */
const results = (outcomes: Outcome[]) =>
  outcomes.map((item) => ("reply" in item ? item.reply : item.error));

interface TestEvent {
  id: string;
  type?: string;
  data?: string;
  metadata?: string;
  schema?: string;
}

/** The versions a read reply holds, from the positions of the fixture's events (seq + 1). */
function versions(reply: unknown): number[] {
  return (reply as unknown[])
    .slice(4)
    .map((entry) => Number(String((entry as unknown[])[0]).split("-")[1]) + 1);
}

/** Each read reply as [status, version, first version read, versions archived, versions read]. */
function pageSummaries(outcomes: unknown[]): unknown[] {
  return outcomes.map((item) => {
    const reply = (item as { reply: unknown[] }).reply;
    return [reply[0], reply[1], reply[2], reply[3], versions(reply)];
  });
}

/** The append script's refusal of arguments that describe no batch. */
const APPEND_ARGUMENTS =
  "ERR streamstore append: ARGV[4] must count the events (>= 1), ARGV[5] be 3 or 5";

/** One event to a stream that must exist, on an empty keyspace: a conflict, nothing written. */
const CONFLICTING_APPEND = ["stream_exists", "0", "acc-1", "1", "3", "a", "Deposited", "{}"];

/** EVAL of the append script with the ARGV layout core sends. */
function append(
  redis: FakeRedis,
  kind: string,
  expected: number | string,
  events: TestEvent[],
  keys: [string, string] = ["idx", "log"],
): Promise<unknown> {
  // As the store sends a batch: 3 values per event when none has metadata or another schema
  // version than 1, else 5.
  const plain = events.every(
    (event) => (event.metadata ?? "") === "" && (event.schema ?? "1") === "1",
  );
  const args = [kind, String(expected), "acc-1", String(events.length), plain ? "3" : "5"];
  for (const event of events) {
    args.push(event.id, event.type ?? "Deposited", event.data ?? `{"id":"${event.id}"}`);
    if (!plain) args.push(event.metadata ?? "", event.schema ?? "1");
  }
  return redis.eval(APPEND_SCRIPT, 2, ...keys, ...args);
}

/** EVAL_RO of the read script, as core's readAggregatePage sends it (`positionsAbove`: ARGV[5]). */
function read(
  redis: FakeRedis,
  direction: string,
  start: number | string,
  stop: number | string,
  count: number | string,
  keys: [string, string] = ["idx", "log"],
  positionsAbove?: number | string,
): Promise<unknown> {
  const args = [direction, start, stop, count];
  if (positionsAbove !== undefined) args.push(positionsAbove);
  return redis.eval_ro(READ_SCRIPT, 2, ...keys, ...args);
}

/** EVAL_RO of the version script. */
const version = (redis: FakeRedis, key = "idx") => redis.eval_ro(VERSION_SCRIPT, 1, key);

const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");

/** The steps of one case, in order. */
const sequential = (...steps: Step[]): Step[] => steps;

/** The log entry of an appended test event, as XRANGE gives it. */
const logged = (position: string, id: string, v: number, ...extra: string[]) => [
  position,
  ["i", id, "t", "Deposited", "d", `{"id":"${id}"}`, "a", "acc-1", "v", String(v), ...extra],
];

const P = (seq: number) => `1700000000000-${seq}`;

/** The archiver's lease token the trim cases hold (`lease` key). */
const TOKEN = "archiver-1";

/**
 * EVAL of the archiver's trim script on `log`, its seam hash `seam` and its lease `lease`, with
 * one [index key, highest archived version, its position] per aggregate of the step.
 */
function trim(
  redis: FakeRedis,
  through: string,
  aggregates: [string, number, string][],
  token = TOKEN,
): Promise<unknown> {
  return redis.eval(
    ARCHIVE_TRIM_SCRIPT,
    3 + aggregates.length,
    "log",
    "seam",
    "lease",
    ...aggregates.map(([key]) => key),
    token,
    through,
    ...aggregates.flatMap(([, archived, position]) => [String(archived), position]),
  );
}

/** An index header by hand: "A", then `archived` as a 6-byte big-endian integer. */
function header(archived: number, first = "A"): Buffer {
  const bytes = Buffer.alloc(7);
  bytes.write(first, 0, "latin1");
  bytes.writeUIntBE(archived, 1, 6);
  return bytes;
}

/** A headered index by hand: the header, then the records of log positions P(seq). */
const headered = (archived: number, ...seqs: number[]) =>
  Buffer.concat([header(archived), ...seqs.map((seq) => indexRecord(P(seq)))]);

/** Events with ids `ids` in one no_stream batch: versions 1.., positions P(0).. on a fresh fake. */
const batch = (redis: FakeRedis, ids: string[], kind = "no_stream", expected = 0) =>
  append(
    redis,
    kind,
    expected,
    ids.map((id) => ({ id })),
  );

describe("core script twins", () => {
  describe("append", () => {
    it("replies ok with versions and positions, one log entry per event, one 12-byte record per event in the index", async () => {
      // Given / When
      const { twin, outcomes } = await same((redis) =>
        sequential(
          () =>
            append(redis, "no_stream", 0, [{ id: "e1" }, { id: "e2", metadata: '{"by":"ann"}' }]),
          () => append(redis, "exact", 2, [{ id: "e3", schema: "2" }]),
          () => append(redis, "any", 0, [{ id: "e4", metadata: '{"m":1}', schema: "3" }]),
          () => append(redis, "stream_exists", 0, [{ id: "e5" }, { id: "e6" }]),
        ),
      );
      // Then
      expect(results(outcomes)).toEqual([
        ["ok", 2, 1, P(0), P(1)],
        ["ok", 3, 3, P(2)],
        ["ok", 4, 4, P(3)],
        ["ok", 6, 5, P(4), P(5)],
      ]);
      expect(await twin.xrange("log", "-", "+")).toEqual([
        logged(P(0), "e1", 1),
        logged(P(1), "e2", 2, "m", '{"by":"ann"}'),
        logged(P(2), "e3", 3, "s", "2"),
        logged(P(3), "e4", 4, "m", '{"m":1}', "s", "3"),
        logged(P(4), "e5", 5),
        logged(P(5), "e6", 6),
      ]);
      // 1700000000000-k: ms 0x018bcfe56800 and seq k, each in 6 big-endian bytes
      const record = (seq: number) => `018bcfe56800${seq.toString(16).padStart(12, "0")}`;
      expect((await twin.getBuffer("idx"))?.toString("hex")).toBe(
        [0, 1, 2, 3, 4, 5].map(record).join(""),
      );
      expect(twin.scriptRunCounts()).toEqual({ twin: 4, lua: 0 });
    });

    it("replies conflict with the actual version and whether the aggregate exists", async () => {
      // Given / When
      const { outcomes } = await same((redis) =>
        sequential(
          () => append(redis, "stream_exists", 0, [{ id: "e1" }]),
          () => append(redis, "exact", 3, [{ id: "e1" }]),
          () => append(redis, "any", 0, [{ id: "e1" }, { id: "e2" }]),
          () => append(redis, "no_stream", 0, [{ id: "e9" }]),
          () => append(redis, "exact", 1, [{ id: "e9" }]),
          () => append(redis, "exact", 99_999_999_999, [{ id: "e9" }]),
        ),
      );
      // Then
      expect(results(outcomes)).toEqual([
        ["conflict", 0, 0],
        ["conflict", 0, 0],
        ["ok", 2, 1, P(0), P(1)],
        ["conflict", 2, 1],
        ["conflict", 2, 1],
        ["conflict", 2, 1],
      ]);
    });

    it("replies dup and each kind of idempotency refusal, reading the candidates through the index", async () => {
      // Given / When
      const { twin, outcomes } = await same((redis) =>
        sequential(
          () => append(redis, "no_stream", 0, [{ id: "a" }, { id: "b" }]),
          () => append(redis, "any", 0, [{ id: "c" }]),
          // exact retry of the first batch, and no_stream retry: dup with the first positions
          () => append(redis, "exact", 0, [{ id: "a" }, { id: "b" }]),
          () => append(redis, "no_stream", 0, [{ id: "a" }, { id: "b" }]),
          // any/stream_exists retry: found as the last batch of the aggregate
          () => append(redis, "any", 0, [{ id: "c" }]),
          () => append(redis, "stream_exists", 0, [{ id: "b" }, { id: "c" }]),
          // the aggregate's last id, but not last in this batch
          () => append(redis, "any", 0, [{ id: "c" }, { id: "d" }]),
          // a prefix of a stored batch is itself a stored batch; a longer one is another shape
          () => append(redis, "exact", 0, [{ id: "a" }]),
          () => append(redis, "exact", 1, [{ id: "b" }, { id: "c" }, { id: "d" }]),
          // same ids, another payload or type
          () => append(redis, "exact", 0, [{ id: "a" }, { id: "b", data: "{}" }]),
          () => append(redis, "any", 0, [{ id: "b" }, { id: "c", type: "Withdrawn" }]),
          // no id matches where the batch was expected: a plain conflict
          () => append(redis, "exact", 1, [{ id: "x" }]),
          // a batch longer than the aggregate, ending with its last id: the candidates are
          // versions 1..3, compared with the batch's first three ids, none lines up, and the
          // batch is appended (its "c" a second time), as the Lua does
          () => append(redis, "any", 0, [{ id: "z" }, { id: "y" }, { id: "x" }, { id: "c" }]),
        ),
      );
      // Then
      expect(results(outcomes)).toEqual([
        ["ok", 2, 1, P(0), P(1)],
        ["ok", 3, 3, P(2)],
        ["dup", 2, 1, P(0), P(1)],
        ["dup", 2, 1, P(0), P(1)],
        ["dup", 3, 3, P(2)],
        ["dup", 3, 2, P(1), P(2)],
        ["idempotency", "c", "as the last event of the stream, but not last in this batch"],
        ["dup", 1, 1, P(0)],
        ["idempotency", "b", "in a batch of another shape"],
        ["idempotency", "b", "with another type or payload"],
        ["idempotency", "c", "with another type or payload"],
        ["conflict", 3, 1],
        ["ok", 7, 4, P(3), P(4), P(5), P(6)],
      ]);
      expect(await twin.xlen("log")).toBe(7);
    });

    it("compares a retry with what the log still holds: a candidate gone from the log matches no id", async () => {
      // Given / When
      const { outcomes } = await same((redis) =>
        sequential(
          () => append(redis, "no_stream", 0, [{ id: "a" }, { id: "b" }]),
          () => append(redis, "any", 0, [{ id: "c" }]),
          () => redis.xdel("log", P(1)),
          // one of two candidates gone: the batch no longer has the stored shape
          () => append(redis, "exact", 0, [{ id: "a" }, { id: "b" }]),
          // the only candidate gone: no match, the expected version decides
          () => append(redis, "exact", 1, [{ id: "b" }]),
          () => redis.xdel("log", P(2)),
          // the last event gone: an any retry is not recognised and appends again
          () => append(redis, "any", 0, [{ id: "c" }]),
        ),
      );
      // Then
      expect(results(outcomes)).toEqual([
        ["ok", 2, 1, P(0), P(1)],
        ["ok", 3, 3, P(2)],
        1,
        ["idempotency", "a", "in a batch of another shape"],
        ["conflict", 3, 1],
        1,
        ["ok", 4, 4, P(3)],
      ]);
    });

    it("replies corrupt, writing nothing, when the index is not whole 12-byte records", async () => {
      // Given / When
      const { twin, outcomes } = await same((redis) =>
        sequential(
          () => redis.set("idx", Buffer.alloc(13, 1)),
          () => append(redis, "any", 0, [{ id: "a" }]),
          () => append(redis, "no_stream", 0, [{ id: "a" }]),
          () => redis.set("idx", Buffer.alloc(11, 0)),
          () => append(redis, "exact", 0, [{ id: "a" }]),
        ),
      );
      // Then
      expect(results(outcomes)).toEqual([
        "OK",
        ["corrupt", 13],
        ["corrupt", 13],
        "OK",
        ["corrupt", 11],
      ]);
      expect(await twin.exists("log")).toBe(0);
    });

    it("raises the same script errors, naming the same script line", async () => {
      // Given / When
      const { outcomes } = await same((redis) =>
        sequential(
          () => redis.hset("hash", "f", "v"),
          () => redis.set("text", "not a stream"),
          // STRLEN on a hash: WRONGTYPE at the first redis.call
          () => append(redis, "any", 0, [{ id: "a" }], ["hash", "log"]),
          // XADD to a log that is a string, plain and with extra fields
          () => append(redis, "any", 0, [{ id: "a" }], ["idx", "text"]),
          () => append(redis, "any", 0, [{ id: "a", schema: "2" }], ["idx", "text"]),
          // XRANGE of a candidate in a log that is a string
          () => append(redis, "no_stream", 0, [{ id: "a" }]),
          () => append(redis, "exact", 0, [{ id: "a" }], ["idx", "text"]),
          // read-only EVAL: Redis refuses a script that may write before running it
          () =>
            redis.eval_ro(
              APPEND_SCRIPT,
              2,
              "ro",
              "log",
              "any",
              "0",
              "acc-1",
              "1",
              "z",
              "T",
              "{}",
              "",
              "1",
            ),
          () => version(redis, "hash"),
          () => redis.eval(SNAPSHOT_SCRIPT, 1, "text", "1", "{}"),
        ),
      );
      // Then
      const sha = sha1(APPEND_SCRIPT);
      const wrongType = "WRONGTYPE Operation against a key holding the wrong kind of value";
      expect(results(outcomes).filter((item) => typeof item === "string" && item !== "OK")).toEqual(
        [
          `${wrongType} script: ${sha}, on @user_script:29.`,
          `${wrongType} script: ${sha}, on @user_script:136.`,
          `${wrongType} script: ${sha}, on @user_script:141.`,
          `${wrongType} script: ${sha}, on @user_script:68.`,
          "ERR Can not execute a script with write flag using *_ro command.",
          `${wrongType} script: ${sha1(VERSION_SCRIPT)}, on @user_script:6.`,
          `${wrongType} script: ${sha1(SNAPSHOT_SCRIPT)}, on @user_script:4.`,
        ],
      );
    });

    it("refuses a position the codec cannot hold and deletes the entries it added, as the Lua does", async () => {
      // Given / When: log ids from 2^48 (ms or seq), which 6 bytes do not hold
      const { twin, outcomes } = await same((redis) =>
        sequential(
          () => redis.xadd("log", "281474976710656-0", "x", "planted"),
          () => append(redis, "any", 0, [{ id: "a" }]),
          // the first event fits (seq 2^48 - 1), the second does not (seq 2^48)
          () => redis.xadd("log2", "1800000000000-281474976710654", "x", "planted"),
          () => append(redis, "any", 0, [{ id: "b" }, { id: "c" }], ["idx2", "log2"]),
        ),
      );
      // Then: the script refuses naming the position; the log keeps none of this script's
      // entries (the first of a batch included), the index gets nothing
      expect(results(outcomes)).toEqual([
        "281474976710656-0",
        ["position", "281474976710656-1"],
        "1800000000000-281474976710654",
        ["position", "1800000000000-281474976710656"],
      ]);
      expect(await twin.exists("idx", "idx2")).toBe(0);
      expect((await twin.xrange("log", "-", "+")).map(([id]) => id)).toEqual(["281474976710656-0"]);
      expect((await twin.xrange("log2", "-", "+")).map(([id]) => id)).toEqual([
        "1800000000000-281474976710654",
      ]);
    });

    it("encodes positions at the edges of the codec so that reading them back gives them again", async () => {
      // Given / When
      const { twin, outcomes } = await same((redis) =>
        sequential(
          // seq 2^32: the first seq beyond 4 bytes
          () => redis.xadd("log", "1800000000000-4294967295", "x", "planted"),
          () => append(redis, "any", 0, [{ id: "a" }]),
          () => read(redis, "forward", 1, 0, 10),
          // the largest ms and seq 6 bytes hold
          () => redis.xadd("log2", "281474976710655-281474976710654", "x", "planted"),
          () => append(redis, "any", 0, [{ id: "b" }], ["idx2", "log2"]),
          () => read(redis, "backward", 0, 0, 10, ["idx2", "log2"]),
        ),
      );
      // Then
      expect(results(outcomes)).toEqual([
        "1800000000000-4294967295",
        ["ok", 1, 1, "1800000000000-4294967296"],
        ["ok", 1, 1, 0, ["1800000000000-4294967296", logged("", "a", 1)[1]]],
        "281474976710655-281474976710654",
        ["ok", 1, 1, "281474976710655-281474976710655"],
        ["ok", 1, 1, 0, ["281474976710655-281474976710655", logged("", "b", 1)[1]]],
      ]);
      expect((await twin.getBuffer("idx"))?.toString("hex")).toBe("01a3185c5000000100000000");
      expect((await twin.getBuffer("idx2"))?.toString("hex")).toBe("ffffffffffffffffffffffff");
    });

    it("hands input beyond its port to the Lua, which then answers", async () => {
      // Given / When: a non-numeric count, an empty batch with a missing key, fractional and
      // 16-digit versions
      const { twin, outcomes } = await same((redis) =>
        sequential(
          () => redis.eval(APPEND_SCRIPT, 2, "idx", "log", "any", "0", "acc-1", "one"),
          () => redis.eval(APPEND_SCRIPT, 1, "idx", "any", "0", "acc-1", "0"),
          () => append(redis, "exact", "1.5", [{ id: "a" }]),
          () => append(redis, "exact", "9007199254740991", [{ id: "a" }]),
        ),
      );
      // Then
      expect(results(outcomes)).toEqual([
        // redis.error_reply: Redis 7.0 adds no script and line to it
        APPEND_ARGUMENTS,
        APPEND_ARGUMENTS,
        ["conflict", 0, 0],
        ["conflict", 0, 0],
      ]);
      expect(twin.scriptRunCounts()).toEqual({ twin: 0, lua: 4 });
      // Nothing was written: no index appeared for the empty batch
      expect(await twin.exists("idx")).toBe(0);
    });

    it("wakes a reader blocked on the log after the script, as the Lua run does", async () => {
      // Given
      const { twin } = pair();
      const reader = twin.duplicate();
      clients.push(reader as FakeRedis);
      const blocked = reader.xread("BLOCK", 0, "STREAMS", "log", "$");
      await new Promise((resolve) => setImmediate(resolve));
      // When
      const reply = await append(twin, "any", 0, [{ id: "a" }]);
      // Then
      expect(reply).toEqual(["ok", 1, 1, P(0)]);
      expect(await blocked).toEqual([["log", [logged(P(0), "a", 1)]]]);
    });
  });

  describe("read", () => {
    /** Six events a..f at versions 1..6, positions 1700000000000-0..5. */
    const six = (redis: FakeRedis) => () =>
      append(
        redis,
        "no_stream",
        0,
        ["a", "b", "c", "d", "e", "f"].map((id) => ({ id })),
      );
    it("reads forward from start to stop, at most count events", async () => {
      // Given / When
      const { outcomes } = await same((redis) =>
        sequential(
          six(redis),
          () => read(redis, "forward", 1, 0, 100),
          () => read(redis, "forward", 2, 4, 100),
          () => read(redis, "forward", 3, 0, 2),
          () => read(redis, "forward", 0, 0, 1),
          () => read(redis, "forward", 6, 0, 5),
          () => read(redis, "forward", 7, 0, 5),
          () => read(redis, "forward", 5, 3, 10),
          () => read(redis, "forward", 1, 0, 0),
          () => read(redis, "forward", 2, 0, 2_147_483_647),
          () => read(redis, "forward", 1, 4_294_967_297, 3),
          () => read(redis, "forward", 4_294_967_297, 0, 5),
        ),
      );
      // Then: [version, first version read, versions archived, versions read]
      expect(pageSummaries(outcomes.slice(1))).toEqual([
        ["ok", 6, 1, 0, [1, 2, 3, 4, 5, 6]],
        ["ok", 6, 2, 0, [2, 3, 4]],
        ["ok", 6, 3, 0, [3, 4]],
        ["ok", 6, 1, 0, [1]],
        ["ok", 6, 6, 0, [6]],
        ["ok", 6, 7, 0, []],
        ["ok", 6, 5, 0, []],
        ["ok", 6, 1, 0, []],
        // first + count - 1 is past 2^31: fengari's 32-bit integers must not wrap it
        ["ok", 6, 2, 0, [2, 3, 4, 5, 6]],
        ["ok", 6, 1, 0, [1, 2, 3]],
        ["ok", 6, 4_294_967_297, 0, []],
      ]);
      expect((outcomes[2] as { reply: unknown }).reply).toEqual([
        "ok",
        6,
        2,
        0,
        logged(P(1), "b", 2),
        logged(P(2), "c", 3),
        logged(P(3), "d", 4),
      ]);
    });

    it("reads backward from start (0: the newest) down to stop, at most count events", async () => {
      // Given / When
      const { outcomes } = await same((redis) =>
        sequential(
          six(redis),
          () => read(redis, "backward", 0, 0, 100),
          () => read(redis, "backward", 0, 1, 2),
          () => read(redis, "backward", 4, 2, 100),
          () => read(redis, "backward", 99, 1, 3),
          () => read(redis, "backward", 3, 5, 10),
          () => read(redis, "backward", 3, 0, 0),
          () => read(redis, "backward", 6, 1, 2_147_483_647),
          () => read(redis, "backward", 4_294_967_297, 0, 2),
        ),
      );
      // Then
      expect(pageSummaries(outcomes.slice(1))).toEqual([
        ["ok", 6, 6, 0, [6, 5, 4, 3, 2, 1]],
        ["ok", 6, 6, 0, [6, 5]],
        ["ok", 6, 4, 0, [4, 3, 2]],
        ["ok", 6, 6, 0, [6, 5, 4]],
        ["ok", 6, 3, 0, []],
        ["ok", 6, 3, 0, []],
        ["ok", 6, 6, 0, [6, 5, 4, 3, 2, 1]],
        ["ok", 6, 6, 0, [6, 5]],
      ]);
      expect((outcomes[3] as { reply: unknown }).reply).toEqual([
        "ok",
        6,
        4,
        0,
        logged(P(3), "d", 4),
        logged(P(2), "c", 3),
        logged(P(1), "b", 2),
      ]);
    });

    it("answers the positions, not the entries, of a page of more versions than ARGV[5]", async () => {
      // Given / When
      const { outcomes } = await same((redis) =>
        sequential(
          six(redis),
          () => read(redis, "forward", 1, 0, 100, undefined, 5),
          () => read(redis, "forward", 1, 0, 100, undefined, 6),
          () => read(redis, "backward", 0, 0, 3, undefined, 0),
          () => read(redis, "forward", 2, 4, 100, undefined, 2),
          () => read(redis, "forward", 7, 0, 5, undefined, 0),
          () => read(redis, "forward", 1, 0, 2, undefined, "x"),
        ),
      );
      // Then: each position as two integers (ms, seq), in reading order
      const T = 1_700_000_000_000;
      const replies = results(outcomes).slice(1);
      expect(replies[0]).toEqual(["positions", 6, 1, 0, T, 0, T, 1, T, 2, T, 3, T, 4, T, 5]);
      // a page of no more versions than ARGV[5] has its entries
      expect(pageSummaries(outcomes.slice(2, 3))).toEqual([["ok", 6, 1, 0, [1, 2, 3, 4, 5, 6]]]);
      expect(replies.slice(2)).toEqual([
        ["positions", 6, 6, 0, T, 5, T, 4, T, 3],
        ["positions", 6, 2, 0, T, 1, T, 2, T, 3],
        // an empty page has nothing to answer either way
        ["ok", 6, 7, 0],
        // not a number: Lua's tonumber is nil, as without ARGV[5]
        ["ok", 6, 1, 0, logged(P(0), "a", 1), logged(P(1), "b", 2)],
      ]);
    });

    it("replies the version 0 and nothing for an aggregate without an index", async () => {
      // Given / When
      const { outcomes } = await same((redis) =>
        sequential(
          () => read(redis, "forward", 1, 0, 10),
          () => read(redis, "backward", 0, 0, 10),
          () => redis.set("idx", ""),
          () => read(redis, "backward", 0, 0, 10),
        ),
      );
      // Then
      expect(results(outcomes)).toEqual([["ok", 0, 1, 0], ["ok", 0, 0, 0], "OK", ["ok", 0, 0, 0]]);
    });

    it("replies only the position of a version whose log entry is gone", async () => {
      // Given / When
      const { outcomes } = await same((redis) =>
        sequential(
          six(redis),
          () => redis.xdel("log", P(1)),
          () => redis.xtrim("log", "MINID", P(4)),
          () => read(redis, "forward", 1, 3, 10),
          () => read(redis, "backward", 5, 4, 10),
        ),
      );
      // Then
      expect(results(outcomes).slice(3)).toEqual([
        ["ok", 6, 1, 0, [P(0)], [P(1)], [P(2)]],
        ["ok", 6, 5, 0, logged(P(4), "e", 5), [P(3)]],
      ]);
    });

    it("replies corrupt when the index length is not whole records, and decodes any 12 bytes as a position", async () => {
      // Given / When
      const { outcomes } = await same((redis) =>
        sequential(
          () => redis.set("idx", Buffer.alloc(13, 1)),
          () => read(redis, "forward", 1, 0, 10),
          () => read(redis, "backward", 0, 0, 10),
          () => redis.set("idx", Buffer.alloc(11, 0)),
          () => read(redis, "forward", 1, 0, 10),
          () => redis.set("idx", Buffer.alloc(24, 0xff)),
          () => read(redis, "forward", 1, 0, 10),
          () => redis.set("idx", "123456789012"),
          () => read(redis, "backward", 0, 0, 1),
        ),
      );
      // Then
      const garbage = "281474976710655-281474976710655";
      expect(results(outcomes)).toEqual([
        "OK",
        ["corrupt", 13],
        ["corrupt", 13],
        "OK",
        ["corrupt", 11],
        "OK",
        ["ok", 2, 1, 0, [garbage], [garbage]],
        "OK",
        // "123456" "789012": 0x313233343536, 0x373839303132
        ["ok", 1, 1, 0, ["54091677185334-60714617155890"]],
      ]);
    });

    it("raises the same errors for keys of another type, naming the same line", async () => {
      // Given / When
      const { outcomes } = await same((redis) =>
        sequential(
          six(redis),
          () => redis.hset("hash", "f", "v"),
          () => redis.set("text", "not a stream"),
          () => read(redis, "forward", 1, 0, 1, ["hash", "log"]),
          () => read(redis, "forward", 1, 0, 1, ["idx", "text"]),
        ),
      );
      // Then
      const sha = sha1(READ_SCRIPT);
      const wrongType = "WRONGTYPE Operation against a key holding the wrong kind of value";
      expect(results(outcomes).slice(3)).toEqual([
        `${wrongType} script: ${sha}, on @user_script:25.`,
        `${wrongType} script: ${sha}, on @user_script:65.`,
      ]);
    });

    it("hands arguments that are not plain decimals to the Lua, which answers as Redis does", async () => {
      // Given / When
      const { twin, outcomes } = await same((redis) =>
        sequential(
          six(redis),
          () => read(redis, "forward", "x", 0, 2),
          () => read(redis, "backward", 1, "", 1),
          () => read(redis, "forward", 1, 0, "0x2"),
          () => read(redis, "forward", -1, 0, 2),
          () => read(redis, "backward", -3, 0, 3),
        ),
      );
      // Then: Lua 5.1's math.max checks its arguments are numbers
      const sha = sha1(READ_SCRIPT);
      expect(results(outcomes).slice(1)).toEqual([
        `ERR user_script:44: bad argument #1 to 'max' (number expected, got nil) script: ${sha}, on @user_script:44.`,
        `ERR user_script:41: bad argument #1 to 'max' (number expected, got nil) script: ${sha}, on @user_script:41.`,
        ["ok", 6, 1, 0, logged(P(0), "a", 1), logged(P(1), "b", 2)],
        ["ok", 6, 1, 0, logged(P(0), "a", 1), logged(P(1), "b", 2)],
        ["ok", 6, -3, 0],
      ]);
      expect(twin.scriptRunCounts()).toEqual({ twin: 1, lua: 5 });
    });
  });

  describe("version", () => {
    it("replies the records of the index and whether it is non-empty, or that it is not whole records", async () => {
      // Given / When
      const { outcomes } = await same((redis) =>
        sequential(
          () => version(redis),
          () => append(redis, "any", 0, [{ id: "a" }, { id: "b" }]),
          () => version(redis),
          () => redis.set("short", Buffer.alloc(11, 0)),
          () => version(redis, "short"),
          () => redis.set("long", Buffer.alloc(13, 0)),
          () => version(redis, "long"),
        ),
      );
      // Then
      expect(results(outcomes)).toEqual([
        [0, 0],
        ["ok", 2, 1, P(0), P(1)],
        [2, 1],
        "OK",
        ["corrupt", 11],
        "OK",
        ["corrupt", 13],
      ]);
    });
  });

  describe("with an index header (versions archived)", () => {
    /** Ten events a..j at versions 1..10 (P(0)..P(9)), versions 1..4 archived by the trim script. */
    const tenArchivedFour = (redis: FakeRedis): Step[] => [
      () => batch(redis, ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]),
      () => redis.set("lease", TOKEN),
      () => trim(redis, P(3), [["idx", 4, P(3)]]),
    ];

    it("trims with the script into a 7-byte header and the hot versions' records, the same on both", async () => {
      // Given / When
      const { twin, outcomes } = await same((redis) => tenArchivedFour(redis));
      // Then
      expect(results(outcomes).slice(1)).toEqual(["OK", ["ok", 4]]);
      const index = await twin.getBuffer("idx");
      expect(index?.length).toBe(7 + 6 * 12);
      expect(index?.subarray(0, 7).toString("hex")).toBe(`41${"4".padStart(12, "0")}`);
      expect(indexContents(index)).toEqual({
        archived: 4,
        positions: [4, 5, 6, 7, 8, 9].map(P),
      });
      expect((await twin.xrange("log", "-", "+")).map(([id]) => id)).toEqual(
        [4, 5, 6, 7, 8, 9].map(P),
      );
      expect(await twin.hgetall("seam")).toEqual({ position: P(3), events: "4" });
    });

    it("replies the version counting archived versions, whether the index was trimmed or written by hand", async () => {
      // Given / When
      const { outcomes } = await same((redis) =>
        sequential(
          ...tenArchivedFour(redis),
          () => version(redis),
          () => redis.set("hand", headered(3, 7, 8)),
          () => version(redis, "hand"),
          // header only: a fully archived aggregate
          () => redis.set("only", header(12)),
          () => version(redis, "only"),
          // a header counting nothing archived is still a valid, empty index
          () => redis.set("zero", header(0)),
          () => version(redis, "zero"),
          () => redis.set("zeroOne", headered(0, 1)),
          () => version(redis, "zeroOne"),
        ),
      );
      // Then
      expect(results(outcomes).slice(3)).toEqual([
        [10, 1],
        "OK",
        [5, 1],
        "OK",
        [12, 1],
        "OK",
        [0, 0],
        "OK",
        [1, 1],
      ]);
    });

    it("reads forward only versions above the archived count, a page starting at or below it coming back empty with the count", async () => {
      // Given / When
      const { outcomes } = await same((redis) =>
        sequential(
          ...tenArchivedFour(redis),
          () => read(redis, "forward", 1, 0, 100),
          () => read(redis, "forward", 4, 0, 100),
          () => read(redis, "forward", 3, 6, 10),
          () => read(redis, "forward", 0, 0, 1),
          () => read(redis, "forward", 5, 0, 100),
          () => read(redis, "forward", 5, 7, 100),
          () => read(redis, "forward", 6, 0, 2),
          () => read(redis, "forward", 10, 0, 2_147_483_647),
          () => read(redis, "forward", 11, 0, 5),
          () => read(redis, "forward", 5, 0, 0),
          () => read(redis, "forward", 5, 4, 10),
          () => read(redis, "forward", 4_294_967_297, 0, 5),
        ),
      );
      // Then: [status, version, first version read, versions archived, versions read]
      expect(pageSummaries(outcomes.slice(3))).toEqual([
        ["ok", 10, 1, 4, []],
        ["ok", 10, 4, 4, []],
        ["ok", 10, 3, 4, []],
        ["ok", 10, 1, 4, []],
        ["ok", 10, 5, 4, [5, 6, 7, 8, 9, 10]],
        ["ok", 10, 5, 4, [5, 6, 7]],
        ["ok", 10, 6, 4, [6, 7]],
        ["ok", 10, 10, 4, [10]],
        ["ok", 10, 11, 4, []],
        ["ok", 10, 5, 4, []],
        ["ok", 10, 5, 4, []],
        ["ok", 10, 4_294_967_297, 4, []],
      ]);
      expect((outcomes[8] as { reply: unknown }).reply).toEqual([
        "ok",
        10,
        5,
        4,
        logged(P(4), "e", 5),
        logged(P(5), "f", 6),
        logged(P(6), "g", 7),
      ]);
    });

    it("reads backward down to the first version above the archived count, never below it", async () => {
      // Given / When
      const { outcomes } = await same((redis) =>
        sequential(
          ...tenArchivedFour(redis),
          () => read(redis, "backward", 0, 0, 100),
          () => read(redis, "backward", 0, 0, 3),
          () => read(redis, "backward", 0, 1, 100),
          () => read(redis, "backward", 0, 8, 100),
          () => read(redis, "backward", 7, 0, 100),
          () => read(redis, "backward", 6, 6, 100),
          () => read(redis, "backward", 5, 0, 10),
          () => read(redis, "backward", 4, 0, 10),
          () => read(redis, "backward", 2, 1, 10),
          () => read(redis, "backward", 99, 0, 2),
          () => read(redis, "backward", 3, 0, 0),
          () => read(redis, "backward", 7, 0, 0),
          () => read(redis, "backward", 4_294_967_297, 0, 2),
        ),
      );
      // Then
      expect(pageSummaries(outcomes.slice(3))).toEqual([
        ["ok", 10, 10, 4, [10, 9, 8, 7, 6, 5]],
        ["ok", 10, 10, 4, [10, 9, 8]],
        ["ok", 10, 10, 4, [10, 9, 8, 7, 6, 5]],
        ["ok", 10, 10, 4, [10, 9, 8]],
        ["ok", 10, 7, 4, [7, 6, 5]],
        ["ok", 10, 6, 4, [6]],
        ["ok", 10, 5, 4, [5]],
        ["ok", 10, 4, 4, []],
        ["ok", 10, 2, 4, []],
        ["ok", 10, 10, 4, [10, 9]],
        ["ok", 10, 3, 4, []],
        ["ok", 10, 7, 4, []],
        ["ok", 10, 10, 4, [10, 9]],
      ]);
      expect((outcomes[7] as { reply: unknown }).reply).toEqual([
        "ok",
        10,
        7,
        4,
        logged(P(6), "g", 7),
        logged(P(5), "f", 6),
        logged(P(4), "e", 5),
      ]);
    });

    it("reads nothing from a fully archived aggregate (header only), with its version and count", async () => {
      // Given / When
      const { twin, outcomes } = await same((redis) =>
        sequential(
          () => batch(redis, ["a", "b", "c", "d", "e", "f"]),
          () => redis.set("lease", TOKEN),
          () => trim(redis, P(5), [["idx", 6, P(5)]]),
          () => read(redis, "forward", 1, 0, 10),
          () => read(redis, "forward", 6, 0, 10),
          () => read(redis, "forward", 7, 0, 10),
          () => read(redis, "backward", 0, 0, 10),
          () => read(redis, "backward", 6, 1, 10),
          () => read(redis, "backward", 99, 0, 10),
          () => version(redis),
        ),
      );
      // Then
      expect(results(outcomes).slice(2)).toEqual([
        ["ok", 6],
        ["ok", 6, 1, 6],
        ["ok", 6, 6, 6],
        ["ok", 6, 7, 6],
        ["ok", 6, 6, 6],
        ["ok", 6, 6, 6],
        ["ok", 6, 6, 6],
        [6, 1],
      ]);
      expect((await twin.getBuffer("idx"))?.toString("hex")).toBe("41000000000006");
      expect(await twin.exists("log")).toBe(1);
      expect(await twin.xlen("log")).toBe(0);
    });

    it("reads hot versions through a header written by hand, a record whose entry is gone as its position", async () => {
      // Given / When: versions 1..2 archived, 3..5 at P(2)..P(4), P(3) deleted from the log
      const { outcomes } = await same((redis) =>
        sequential(
          () => batch(redis, ["a", "b", "c", "d", "e"]),
          () => redis.set("idx", headered(2, 2, 3, 4)),
          () => redis.xdel("log", P(3)),
          () => read(redis, "forward", 3, 0, 10),
          () => read(redis, "backward", 0, 0, 10),
          () => read(redis, "forward", 2, 0, 10),
        ),
      );
      // Then
      expect(results(outcomes).slice(3)).toEqual([
        ["ok", 5, 3, 2, logged(P(2), "c", 3), [P(3)], logged(P(4), "e", 5)],
        ["ok", 5, 5, 2, logged(P(4), "e", 5), [P(3)], logged(P(2), "c", 3)],
        ["ok", 5, 2, 2],
      ]);
    });

    it("appends after the header: versions and the expected version count the archived ones", async () => {
      // Given / When
      const { twin, outcomes } = await same((redis) =>
        sequential(
          ...tenArchivedFour(redis),
          () => append(redis, "exact", 10, [{ id: "k" }]),
          () => append(redis, "exact", 4, [{ id: "x" }]),
          () => append(redis, "exact", 6, [{ id: "x" }]),
          () => append(redis, "no_stream", 0, [{ id: "x" }]),
          () => append(redis, "stream_exists", 0, [{ id: "l" }, { id: "m", schema: "2" }]),
          () => append(redis, "any", 0, [{ id: "n" }]),
          () => version(redis),
        ),
      );
      // Then
      expect(results(outcomes).slice(3)).toEqual([
        ["ok", 11, 11, P(10)],
        ["conflict", 11, 1],
        ["conflict", 11, 1],
        ["conflict", 11, 1],
        ["ok", 13, 12, P(11), P(12)],
        ["ok", 14, 14, P(13)],
        [14, 1],
      ]);
      expect(indexContents(await twin.getBuffer("idx"))).toEqual({
        archived: 4,
        positions: [4, 5, 6, 7, 8, 9, 10, 11, 12, 13].map(P),
      });
      expect((await twin.xrange("log", P(11), P(12))).map(([, fields]) => fields)).toEqual([
        logged("", "l", 12)[1],
        logged("", "m", 13, "s", "2")[1],
      ]);
    });

    it("appends to a fully archived aggregate after its header, and to a header counting nothing", async () => {
      // Given / When
      const { twin, outcomes } = await same((redis) =>
        sequential(
          () => batch(redis, ["a", "b", "c"]),
          () => redis.set("lease", TOKEN),
          () => trim(redis, P(2), [["idx", 3, P(2)]]),
          () => append(redis, "no_stream", 0, [{ id: "x" }]),
          () => append(redis, "exact", 2, [{ id: "x" }]),
          () => append(redis, "exact", 3, [{ id: "d" }, { id: "e" }]),
          () => redis.set("zero", header(0)),
          () => append(redis, "no_stream", 0, [{ id: "z" }], ["zero", "log"]),
          () => version(redis, "zero"),
        ),
      );
      // Then
      expect(results(outcomes).slice(3)).toEqual([
        ["conflict", 3, 1],
        ["conflict", 3, 1],
        ["ok", 5, 4, P(3), P(4)],
        "OK",
        ["ok", 1, 1, P(5)],
        [1, 1],
      ]);
      expect((await twin.getBuffer("idx"))?.toString("hex")).toBe(
        `41000000000003${indexRecord(P(3)).toString("hex")}${indexRecord(P(4)).toString("hex")}`,
      );
      expect(indexContents(await twin.getBuffer("zero"))).toEqual({
        archived: 0,
        positions: [P(5)],
      });
    });

    it("recognises a retry only while its whole batch is hot: an archived candidate matches no id", async () => {
      // Given: batches [a b] v1-2, [c d] v3-4, [e] v5; versions 1..3 archived
      const { twin, outcomes } = await same((redis) =>
        sequential(
          () => batch(redis, ["a", "b"]),
          () => batch(redis, ["c", "d"], "exact", 2),
          () => batch(redis, ["e"], "exact", 4),
          () => redis.set("lease", TOKEN),
          () => trim(redis, P(2), [["idx", 3, P(2)]]),
          // When retries of each batch come
          // a fully archived batch: no id matches, the expected version decides
          () => batch(redis, ["a", "b"]),
          () => batch(redis, ["a", "b"], "exact", 0),
          () => batch(redis, ["c"], "exact", 2),
          // half archived: one of two candidates matches, another shape
          () => batch(redis, ["c", "d"], "exact", 2),
          () => batch(redis, ["c", "d", "e"], "any"),
          // hot: recognised as before
          () => batch(redis, ["e"], "exact", 4),
          () => batch(redis, ["e"], "any"),
          () => batch(redis, ["d", "e"], "stream_exists"),
          // an any retry of an archived batch is not recognised and appends again
          () => batch(redis, ["a", "b"], "any"),
        ),
      );
      // Then
      expect(results(outcomes).slice(5)).toEqual([
        ["conflict", 5, 1],
        ["conflict", 5, 1],
        ["conflict", 5, 1],
        ["idempotency", "c", "in a batch of another shape"],
        ["idempotency", "c", "in a batch of another shape"],
        ["dup", 5, 5, P(4)],
        ["dup", 5, 5, P(4)],
        ["dup", 5, 4, P(3), P(4)],
        ["ok", 7, 6, P(5), P(6)],
      ]);
      expect(indexContents(await twin.getBuffer("idx"))).toEqual({
        archived: 3,
        positions: [3, 4, 5, 6].map(P),
      });
    });

    it("recognises no retry of a fully archived aggregate's last batch: it is appended again", async () => {
      // Given: [a b] archived whole
      const { outcomes } = await same((redis) =>
        sequential(
          () => batch(redis, ["a", "b"]),
          () => redis.set("lease", TOKEN),
          () => trim(redis, P(1), [["idx", 2, P(1)]]),
          // When the batch is retried, then the retry retried
          () => batch(redis, ["a", "b"], "stream_exists"),
          () => batch(redis, ["a", "b"], "any"),
          () => version(redis),
        ),
      );
      // Then the first retry is appended again; the second is recognised, its batch being hot
      expect(results(outcomes).slice(3)).toEqual([
        ["ok", 4, 3, P(2), P(3)],
        ["dup", 4, 3, P(2), P(3)],
        [4, 1],
      ]);
    });

    it("replies corrupt, writing nothing, to a header not starting with A or a length neither whole records nor header and records", async () => {
      // Given: lengths 7 and 19 without the A, 14 and 8 (remainders 2 and 8) starting with A
      const corrupt: [string, Buffer][] = [
        ["b7", header(1, "B")],
        ["z19", Buffer.concat([header(1, "\u0000"), indexRecord(P(0))])],
        ["a31", Buffer.concat([header(2, "a"), indexRecord(P(0)), indexRecord(P(1))])],
        ["a14", Buffer.concat([header(1), Buffer.alloc(7, 0x41)])],
        ["a8", Buffer.concat([header(1), Buffer.from("A")])],
      ];
      // When
      const { twin, outcomes } = await same((redis) =>
        sequential(
          ...corrupt.map(
            ([key, bytes]) =>
              () =>
                redis.set(key, bytes),
          ),
          ...corrupt.flatMap(([key]) => [
            () => version(redis, key),
            () => read(redis, "forward", 1, 0, 10, [key, "log"]),
            () => read(redis, "backward", 0, 0, 10, [key, "log"]),
            () => append(redis, "any", 0, [{ id: "a" }], [key, "log"]),
            () => append(redis, "exact", 1, [{ id: "a" }], [key, "log"]),
          ]),
        ),
      );
      // Then
      const lengths = { b7: 7, z19: 19, a31: 31, a14: 14, a8: 8 } as Record<string, number>;
      expect(results(outcomes).slice(corrupt.length)).toEqual(
        corrupt.flatMap(([key]) => Array(5).fill(["corrupt", lengths[key]])),
      );
      expect(await twin.exists("log")).toBe(0);
      for (const [key, bytes] of corrupt) expect(await twin.getBuffer(key)).toEqual(bytes);
    });

    it("takes a header's count as a 6-byte big-endian integer, beyond 32 bits too", async () => {
      // Given: counts 2^32 + 5 and 2^48 - 1 (the largest a header holds), one hot record each
      const { outcomes } = await same((redis) =>
        sequential(
          () => batch(redis, ["a"]),
          () => redis.set("big", headered(2 ** 32 + 5, 0)),
          () => redis.set("max", headered(2 ** 48 - 1)),
          // When
          () => version(redis, "big"),
          () => read(redis, "backward", 0, 0, 10, ["big", "log"]),
          () => read(redis, "forward", 2 ** 32 + 6, 0, 10, ["big", "log"]),
          () => read(redis, "forward", 1, 0, 10, ["big", "log"]),
          () => version(redis, "max"),
          () => read(redis, "forward", 1, 0, 10, ["max", "log"]),
        ),
      );
      // Then
      const entry = ["1700000000000-0", logged("", "a", 1)[1]];
      expect(results(outcomes).slice(3)).toEqual([
        [4_294_967_302, 1],
        ["ok", 4_294_967_302, 4_294_967_302, 4_294_967_301, entry],
        ["ok", 4_294_967_302, 4_294_967_302, 4_294_967_301, entry],
        ["ok", 4_294_967_302, 1, 4_294_967_301],
        [281_474_976_710_655, 1],
        ["ok", 281_474_976_710_655, 1, 281_474_976_710_655],
      ]);
    });
  });

  describe("archive trim (no twin: Lua on both)", () => {
    /** Two aggregates interleaved on one log: idx a1 b2 a3 b4 a5 b6 (P(0)..P(5)), idx2 the b's. */
    const interleaved = (redis: FakeRedis): Step[] =>
      [0, 1, 2, 3, 4, 5].map((seq) => () => {
        const key = seq % 2 === 0 ? "idx" : "idx2";
        const id = `e${seq}`;
        return append(redis, "any", 0, [{ id }], [key, "log"]);
      });

    it("is fenced, changing nothing, without the lease or with another owner's token", async () => {
      // Given / When
      const { twin, outcomes } = await same((redis) =>
        sequential(
          ...interleaved(redis),
          () => trim(redis, P(2), [["idx", 2, P(2)]]),
          () => redis.set("lease", "someone-else"),
          () => trim(redis, P(2), [["idx", 2, P(2)]]),
          () => trim(redis, P(2), [["idx", 2, P(2)]], ""),
        ),
      );
      // Then
      expect(results(outcomes).slice(6)).toEqual([["fenced"], "OK", ["fenced"], ["fenced"]]);
      expect(await twin.xlen("log")).toBe(6);
      expect(await twin.exists("seam")).toBe(0);
      expect(indexContents(await twin.getBuffer("idx")).positions).toEqual([0, 2, 4].map(P));
    });

    it("trims the log up to the position and each index up to its version, interleaved aggregates included", async () => {
      // Given / When
      const { twin, outcomes } = await same((redis) =>
        sequential(
          ...interleaved(redis),
          () => redis.set("lease", TOKEN),
          () =>
            trim(redis, P(3), [
              ["idx", 2, P(2)],
              ["idx2", 2, P(3)],
            ]),
          () => trim(redis, P(4), [["idx", 3, P(4)]]),
          () => version(redis),
          () => version(redis, "idx2"),
        ),
      );
      // Then
      expect(results(outcomes).slice(7)).toEqual([
        ["ok", 4],
        ["ok", 1],
        [3, 1],
        [3, 1],
      ]);
      expect((await twin.xrange("log", "-", "+")).map(([id]) => id)).toEqual([P(5)]);
      expect((await twin.getBuffer("idx"))?.toString("hex")).toBe("41000000000003");
      expect(indexContents(await twin.getBuffer("idx2"))).toEqual({
        archived: 2,
        positions: [P(5)],
      });
      expect(await twin.hgetall("seam")).toEqual({ position: P(4), events: "5" });
    });

    it("changes nothing when any index is corrupt or names another position, whatever its place in the step", async () => {
      // Given / When
      const { twin, outcomes } = await same((redis) =>
        sequential(
          ...interleaved(redis),
          () => redis.set("lease", TOKEN),
          () => redis.set("bad", Buffer.alloc(13, 1)),
          () => redis.set("badHeader", header(1, "B")),
          () =>
            trim(redis, P(3), [
              ["idx", 2, P(2)],
              ["idx2", 2, P(1)],
            ]),
          () =>
            trim(redis, P(3), [
              ["idx", 2, P(2)],
              ["idx2", 2, P(3)],
              ["bad", 1, P(0)],
            ]),
          () =>
            trim(redis, P(3), [
              ["badHeader", 1, P(0)],
              ["idx", 2, P(2)],
            ]),
          // a version beyond the aggregate's
          () => trim(redis, P(3), [["idx", 4, P(2)]]),
          // a position not in canonical form
          () => trim(redis, P(3), [["idx", 2, "1700000000000-02"]]),
        ),
      );
      // Then
      expect(results(outcomes).slice(9)).toEqual([
        ["corrupt", "idx2"],
        ["corrupt", "bad"],
        ["corrupt", "badHeader"],
        ["corrupt", "idx"],
        ["corrupt", "idx"],
      ]);
      expect(await twin.xlen("log")).toBe(6);
      expect(await twin.exists("seam")).toBe(0);
      expect(indexContents(await twin.getBuffer("idx")).positions).toEqual([0, 2, 4].map(P));
      expect(indexContents(await twin.getBuffer("idx2")).positions).toEqual([1, 3, 5].map(P));
    });

    it("trims nothing and keeps the seam when an older step is replayed, and skips an index deleted by hand", async () => {
      // Given / When
      const { twin, outcomes } = await same((redis) =>
        sequential(
          ...interleaved(redis),
          () => redis.set("lease", TOKEN),
          () => trim(redis, P(2), [["idx", 2, P(2)]]),
          () => trim(redis, P(3), [["idx2", 2, P(3)]]),
          () => redis.get("idx"),
          // replay of the first step
          () => trim(redis, P(2), [["idx", 2, P(2)]]),
          () => trim(redis, P(0), [["idx", 1, P(0)]]),
          () => redis.del("idx2"),
          () => trim(redis, P(5), [["idx2", 3, P(5)]]),
        ),
      );
      // Then
      expect(results(outcomes).slice(7, 9)).toEqual([
        ["ok", 3],
        ["ok", 1],
      ]);
      expect(results(outcomes).slice(10)).toEqual([["ok", 0], ["ok", 0], 1, ["ok", 2]]);
      expect(indexContents(await twin.getBuffer("idx"))).toEqual({
        archived: 2,
        positions: [P(4)],
      });
      expect(await twin.exists("idx2")).toBe(0);
      expect(await twin.xlen("log")).toBe(0);
      expect(await twin.hgetall("seam")).toEqual({ position: P(5), events: "6" });
    });

    it("refuses arguments that are not a position and a version and position per index", async () => {
      // Given / When
      const { outcomes } = await same((redis) =>
        sequential(
          ...interleaved(redis),
          () => redis.set("lease", TOKEN),
          () => trim(redis, "latest", [["idx", 1, P(0)]]),
          () => redis.eval(ARCHIVE_TRIM_SCRIPT, 4, "log", "seam", "lease", "idx", TOKEN, P(0)),
          () => redis.eval(ARCHIVE_TRIM_SCRIPT, 3, "log", "seam", "lease", TOKEN, P(0), "1"),
        ),
      );
      // Then
      const refusal =
        "ERR streamstore archive trim: ARGV[2] must be a log position, then a version and a position per index";
      expect(results(outcomes).slice(7)).toEqual([refusal, refusal, refusal]);
    });
  });

  describe("snapshot", () => {
    it("keeps the newer snapshot whatever order the writers come in", async () => {
      // Given / When
      const { twin, outcomes } = await same((redis) =>
        sequential(
          () => redis.eval(SNAPSHOT_SCRIPT, 1, "snap", "5", '{"v":5}'),
          () => redis.eval(SNAPSHOT_SCRIPT, 1, "snap", "3", '{"v":3}'),
          () => redis.eval(SNAPSHOT_SCRIPT, 1, "snap", "5", '{"again":5}'),
          () => redis.eval(SNAPSHOT_SCRIPT, 1, "snap", "12", '{"v":12}'),
          () => redis.eval(SNAPSHOT_SCRIPT, 1, "snap", "9", '{"v":9}'),
          () => redis.hset("odd", "v", "0x10"),
          () => redis.eval(SNAPSHOT_SCRIPT, 1, "odd", "12", '{"v":12}'),
        ),
      );
      // Then
      expect(results(outcomes)).toEqual([1, 0, 0, 1, 0, 1, 0]);
      expect(await twin.hgetall("snap")).toEqual({ v: "12", doc: '{"v":12}' });
      // "0x10" is Lua's 16: only the Lua knows every number syntax, so the twin handed it over.
      expect(twin.scriptRunCounts()).toEqual({ twin: 5, lua: 1 });
    });
  });

  describe("script cache", () => {
    it("answers NOSCRIPT, SCRIPT EXISTS and snapshots the same with twins", async () => {
      // Given
      const { twin, lua } = pair();
      const sha = (await twin.script("LOAD", APPEND_SCRIPT)) as string;
      const steps = async (redis: FakeRedis) => [
        await outcome(redis.evalsha(sha, 2, "idx", "log", ...CONFLICTING_APPEND)),
        await outcome(redis.script("EXISTS", sha)),
        await outcome(redis.script("LOAD", APPEND_SCRIPT)),
        await outcome(redis.evalsha(sha, 2, "idx", "log", ...CONFLICTING_APPEND)),
        await outcome(redis.script("FLUSH")),
        await outcome(redis.evalsha(sha, 2, "idx", "log", ...CONFLICTING_APPEND)),
      ];
      // When
      await twin.script("FLUSH");
      const twinSteps = await steps(twin);
      const luaSteps = await steps(lua);
      // Then
      expect(twinSteps).toEqual(luaSteps);
      expect(twinSteps[0]).toEqual({ error: "NOSCRIPT No matching script. Please use EVAL." });
      expect(twinSteps[3]).toEqual({ reply: ["conflict", 0, 0] });
      await twin.script("LOAD", VERSION_SCRIPT);
      const snapshot = twin.snapshot();
      expect(snapshot.scripts).toEqual([VERSION_SCRIPT]);
    });

    it("runs the read-only scripts' twins for EVALSHA_RO and EVAL_RO", async () => {
      // Given
      const { twin } = pair();
      await append(twin, "any", 0, [{ id: "a" }]);
      const readSha = (await twin.script("LOAD", READ_SCRIPT)) as string;
      const versionSha = (await twin.script("LOAD", VERSION_SCRIPT)) as string;
      // When
      const page = await twin.evalsha_ro(readSha, 2, "idx", "log", "backward", 0, 0, 10);
      const current = await twin.evalsha_ro(versionSha, 1, "idx");
      const viaEval = await version(twin);
      // Then
      expect(page).toEqual(["ok", 1, 1, 0, logged(P(0), "a", 1)]);
      expect(current).toEqual([1, 1]);
      expect(viaEval).toEqual([1, 1]);
      expect(twin.scriptRunCounts()).toEqual({ twin: 4, lua: 0 });
    });

    it("runs an edited script in Lua: a stale twin is never chosen", async () => {
      // Given: one character of difference gives another SHA, so the twin is not found
      const { twin } = pair();
      const edited = APPEND_SCRIPT.replace(
        'return {"conflict", current, flag}',
        'return {"conflict", current, flag, "edited"}',
      );
      expect(edited).not.toBe(APPEND_SCRIPT);
      // When
      const reply = await twin.eval(edited, 2, "idx", "log", ...CONFLICTING_APPEND);
      // Then
      expect(reply).toEqual(["conflict", 0, 0, "edited"]);
      expect(twin.scriptRunCounts()).toEqual({ twin: 0, lua: 1 });
    });

    it("serves the event store's appends, reads and versions from the twins", async () => {
      // Given
      const { getRedisEventStore, defineEvents, silentLogger } = await import("@streamstore/core");
      const { z } = await import("zod");
      const { twin } = pair();
      const store = getRedisEventStore({
        redis: twin,
        events: defineEvents({ Opened: z.object({}) }),
        logger: silentLogger,
      });
      // When
      await store.append("acc-1", [{ type: "Opened", data: {} }], { expectedVersion: "no_stream" });
      const events = [];
      for await (const event of store.read("acc-1")) events.push(event.type);
      const current = await store.version("acc-1");
      // Then
      expect(events).toEqual(["Opened"]);
      expect(current).toBe(1);
      expect(twin.scriptRunCounts()).toEqual({ twin: 3, lua: 0 });
    });
  });
});
