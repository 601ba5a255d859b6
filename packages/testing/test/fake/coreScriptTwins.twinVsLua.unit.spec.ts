import { createHash } from "node:crypto";
import { APPEND_SCRIPT, READ_SCRIPT, SNAPSHOT_SCRIPT, VERSION_SCRIPT } from "@streamstore/core";
import { afterEach, describe, expect, it } from "vitest";
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

/** EVAL of the append script with the ARGV layout core sends. */
/** The versions a read reply holds, from the positions of the fixture's events (seq + 1). */
function versions(reply: unknown): number[] {
  return (reply as unknown[])
    .slice(3)
    .map((entry) => Number(String((entry as unknown[])[0]).split("-")[1]) + 1);
}

/** Each read reply as [status, version, first version read, versions read]. */
function pageSummaries(outcomes: unknown[]): unknown[] {
  return outcomes.map((item) => {
    const reply = (item as { reply: unknown[] }).reply;
    return [reply[0], reply[1], reply[2], versions(reply)];
  });
}

/** The append script's refusal of arguments that describe no batch. */
const APPEND_ARGUMENTS =
  "ERR streamstore append: ARGV[4] must count the events (>= 1), ARGV[5] be 3 or 5";

/** One event to a stream that must exist, on an empty keyspace: a conflict, nothing written. */
const CONFLICTING_APPEND = ["stream_exists", "0", "acc-1", "1", "3", "a", "Deposited", "{}"];

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

/** EVAL_RO of the read script, as core's readAggregatePage sends it. */
function read(
  redis: FakeRedis,
  direction: string,
  start: number | string,
  stop: number | string,
  count: number | string,
  keys: [string, string] = ["idx", "log"],
): Promise<unknown> {
  return redis.eval_ro(READ_SCRIPT, 2, ...keys, direction, start, stop, count);
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
          `${wrongType} script: ${sha}, on @user_script:40.`,
          `${wrongType} script: ${sha}, on @user_script:120.`,
          `${wrongType} script: ${sha}, on @user_script:125.`,
          `${wrongType} script: ${sha}, on @user_script:52.`,
          "ERR Can not execute a script with write flag using *_ro command.",
          `${wrongType} script: ${sha1(VERSION_SCRIPT)}, on @user_script:2.`,
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
        ["ok", 1, 1, ["1800000000000-4294967296", logged("", "a", 1)[1]]],
        "281474976710655-281474976710654",
        ["ok", 1, 1, "281474976710655-281474976710655"],
        ["ok", 1, 1, ["281474976710655-281474976710655", logged("", "b", 1)[1]]],
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
      // Then: [version, first version read, versions read]
      expect(pageSummaries(outcomes.slice(1))).toEqual([
        ["ok", 6, 1, [1, 2, 3, 4, 5, 6]],
        ["ok", 6, 2, [2, 3, 4]],
        ["ok", 6, 3, [3, 4]],
        ["ok", 6, 1, [1]],
        ["ok", 6, 6, [6]],
        ["ok", 6, 7, []],
        ["ok", 6, 5, []],
        ["ok", 6, 1, []],
        // first + count - 1 is past 2^31: fengari's 32-bit integers must not wrap it
        ["ok", 6, 2, [2, 3, 4, 5, 6]],
        ["ok", 6, 1, [1, 2, 3]],
        ["ok", 6, 4_294_967_297, []],
      ]);
      expect((outcomes[2] as { reply: unknown }).reply).toEqual([
        "ok",
        6,
        2,
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
        ["ok", 6, 6, [6, 5, 4, 3, 2, 1]],
        ["ok", 6, 6, [6, 5]],
        ["ok", 6, 4, [4, 3, 2]],
        ["ok", 6, 6, [6, 5, 4]],
        ["ok", 6, 3, []],
        ["ok", 6, 3, []],
        ["ok", 6, 6, [6, 5, 4, 3, 2, 1]],
        ["ok", 6, 6, [6, 5]],
      ]);
      expect((outcomes[3] as { reply: unknown }).reply).toEqual([
        "ok",
        6,
        4,
        logged(P(3), "d", 4),
        logged(P(2), "c", 3),
        logged(P(1), "b", 2),
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
      expect(results(outcomes)).toEqual([["ok", 0, 1], ["ok", 0, 0], "OK", ["ok", 0, 0]]);
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
        ["ok", 6, 1, [P(0)], [P(1)], [P(2)]],
        ["ok", 6, 5, logged(P(4), "e", 5), [P(3)]],
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
        ["ok", 2, 1, [garbage], [garbage]],
        "OK",
        // "123456" "789012": 0x313233343536, 0x373839303132
        ["ok", 1, 1, ["54091677185334-60714617155890"]],
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
        `${wrongType} script: ${sha}, on @user_script:22.`,
        `${wrongType} script: ${sha}, on @user_script:44.`,
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
        `ERR user_script:32: bad argument #1 to 'max' (number expected, got nil) script: ${sha}, on @user_script:32.`,
        `ERR user_script:29: bad argument #1 to 'max' (number expected, got nil) script: ${sha}, on @user_script:29.`,
        ["ok", 6, 1, logged(P(0), "a", 1), logged(P(1), "b", 2)],
        ["ok", 6, 1, logged(P(0), "a", 1), logged(P(1), "b", 2)],
        ["ok", 6, -3],
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
      expect(page).toEqual(["ok", 1, 1, logged(P(0), "a", 1)]);
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
