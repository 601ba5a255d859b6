import { APPEND_SCRIPT, SNAPSHOT_SCRIPT, VERSION_SCRIPT } from "@streamstore/core";
import { afterEach, describe, expect, it } from "vitest";
import { createFakeRedis, createManualClock, type FakeRedis } from "../../src/index.js";
import { type Outcome, outcome } from "./support/outcome.js";

// Each case runs the same raw commands on two fakes, one running core's scripts as native twins
// and one in the Lua VM, and requires the same replies, the same errors (text included) and the
// same data afterwards. The contract suite proves the same through the event store; these reach
// replies and states the store's API does not show (raw reply shapes, error lines, fallbacks).

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

/** Every key with its type and full contents, streams with their XINFO. */
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
    } else {
      result[key] = { type, value: type === "string" ? await redis.get(key) : undefined };
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
  return { twin, outcomes: twinOutcomes };
}

interface TestEvent {
  id: string;
  type?: string;
  data?: string;
  metadata?: string;
  schema?: string;
}

/** EVAL of the append script with the ARGV layout core sends. */
function append(
  redis: FakeRedis,
  kind: string,
  expected: number | string,
  events: TestEvent[],
  keys: [string, string] = ["agg", "log"],
): Promise<unknown> {
  const args = [kind, String(expected), "acc-1", String(events.length)];
  for (const event of events) {
    args.push(
      event.id,
      event.type ?? "Deposited",
      event.data ?? `{"id":"${event.id}"}`,
      event.metadata ?? "",
      event.schema ?? "1",
    );
  }
  return redis.eval(APPEND_SCRIPT, 2, ...keys, ...args);
}

/** The steps of one case, in order. */
const sequential = (...steps: Step[]): Step[] => steps;

describe("core script twins", () => {
  describe("append", () => {
    it("replies ok with versions and positions, writing metadata and schema-version fields", async () => {
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
      expect(outcomes[0]).toEqual({
        reply: ["ok", 2, 1, "1700000000000-0", "1700000000000-1"],
      });
      expect(await twin.xrange("agg", "3-0", "4-0")).toEqual([
        [
          "3-0",
          ["i", "e3", "t", "Deposited", "d", '{"id":"e3"}', "s", "2", "p", "1700000000000-2"],
        ],
        [
          "4-0",
          [
            "i",
            "e4",
            "t",
            "Deposited",
            "d",
            '{"id":"e4"}',
            "m",
            '{"m":1}',
            "s",
            "3",
            "p",
            "1700000000000-3",
          ],
        ],
      ]);
      expect(twin.scriptRunCounts()).toEqual({ twin: 4, lua: 0 });
    });

    it("replies conflict with the actual version and whether the stream exists", async () => {
      // Given / When
      const { outcomes } = await same((redis) =>
        sequential(
          () => append(redis, "stream_exists", 0, [{ id: "e1" }]),
          () => append(redis, "exact", 3, [{ id: "e1" }]),
          () => append(redis, "any", 0, [{ id: "e1" }, { id: "e2" }]),
          () => append(redis, "no_stream", 0, [{ id: "e9" }]),
          () => append(redis, "exact", 1, [{ id: "e9" }]),
        ),
      );
      // Then
      expect(outcomes.map((item) => ("reply" in item ? item.reply : item.error))).toEqual([
        ["conflict", 0, 0],
        ["conflict", 0, 0],
        ["ok", 2, 1, "1700000000000-0", "1700000000000-1"],
        ["conflict", 2, 1],
        ["conflict", 2, 1],
      ]);
    });

    it("replies dup and each kind of idempotency refusal as the Lua does", async () => {
      // Given / When
      const { outcomes } = await same((redis) =>
        sequential(
          () => append(redis, "no_stream", 0, [{ id: "a" }, { id: "b" }]),
          // exact retry of the same batch, and no_stream retry: dup with the first positions
          () => append(redis, "exact", 0, [{ id: "a" }, { id: "b" }]),
          () => append(redis, "no_stream", 0, [{ id: "a" }, { id: "b" }]),
          // any retry: found as the last batch of the stream
          () => append(redis, "any", 0, [{ id: "a" }, { id: "b" }]),
          // the stream's last id, but not last in this batch
          () => append(redis, "any", 0, [{ id: "b" }, { id: "c" }]),
          // a prefix of the stored batch is itself a stored batch; a longer one is another shape
          () => append(redis, "exact", 0, [{ id: "a" }]),
          () => append(redis, "exact", 0, [{ id: "a" }, { id: "b" }, { id: "c" }]),
          // same ids, another payload or type
          () => append(redis, "exact", 0, [{ id: "a" }, { id: "b", data: "{}" }]),
          () => append(redis, "any", 0, [{ id: "a" }, { id: "b", type: "Withdrawn" }]),
          // ids past the end of the batch are compared to absent ARGV values (nil == nil in Lua)
          () => append(redis, "exact", 1, [{ id: "x" }]),
        ),
      );
      // Then
      expect(outcomes.map((item) => ("reply" in item ? item.reply : item.error))).toEqual([
        ["ok", 2, 1, "1700000000000-0", "1700000000000-1"],
        ["dup", 2, 1, "1700000000000-0", "1700000000000-1"],
        ["dup", 2, 1, "1700000000000-0", "1700000000000-1"],
        ["dup", 2, 1, "1700000000000-0", "1700000000000-1"],
        ["idempotency", "b", "as the last event of the stream, but not last in this batch"],
        ["dup", 1, 1, "1700000000000-0"],
        ["idempotency", "a", "in a batch of another shape"],
        ["idempotency", "b", "with another type or payload"],
        ["idempotency", "b", "with another type or payload"],
        ["conflict", 2, 1],
      ]);
    });

    it("reads the version of a stream trimmed to empty from XINFO's last-generated-id", async () => {
      // Given / When
      const { outcomes } = await same((redis) =>
        sequential(
          () => append(redis, "no_stream", 0, [{ id: "a" }, { id: "b" }, { id: "c" }]),
          () => redis.xtrim("agg", "MAXLEN", 0),
          () => redis.eval(VERSION_SCRIPT, 1, "agg"),
          () => append(redis, "no_stream", 0, [{ id: "d" }]),
          () => append(redis, "exact", 2, [{ id: "d" }]),
          () => append(redis, "exact", 3, [{ id: "d" }]),
          () => redis.eval(VERSION_SCRIPT, 1, "agg"),
          () => redis.eval(VERSION_SCRIPT, 1, "missing"),
        ),
      );
      // Then
      expect(outcomes.map((item) => ("reply" in item ? item.reply : item.error))).toEqual([
        ["ok", 3, 1, "1700000000000-0", "1700000000000-1", "1700000000000-2"],
        3,
        [3, 1],
        ["conflict", 3, 1],
        ["conflict", 3, 1],
        ["ok", 4, 4, "1700000000000-3"],
        [4, 1],
        [0, 0],
      ]);
    });

    it("raises the same script errors, naming the same script line", async () => {
      // Given / When
      const { outcomes } = await same((redis) =>
        sequential(
          () => redis.set("text", "not a stream"),
          // XREVRANGE on a string: WRONGTYPE at the first redis.call
          () => append(redis, "any", 0, [{ id: "a" }], ["text", "log"]),
          // XADD to a log that is a string, plain and with extra fields
          () => append(redis, "any", 0, [{ id: "a" }], ["agg", "text"]),
          () => append(redis, "any", 0, [{ id: "a", schema: "2" }], ["agg", "text"]),
          // the aggregate stream's top id moved past the version: the log XADD lands, the stream
          // XADD fails (a script has no rollback, in Lua as in the twin)
          () => append(redis, "no_stream", 0, [{ id: "a" }]),
          () => redis.xsetid("agg", "9-0"),
          () => append(redis, "any", 0, [{ id: "b" }]),
          () => append(redis, "any", 0, [{ id: "c", metadata: "{}" }]),
          // read-only EVAL refuses the writes
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
          () => redis.eval(VERSION_SCRIPT, 1, "text"),
          () => redis.eval(SNAPSHOT_SCRIPT, 1, "text", "1", "{}"),
        ),
      );
      // Then
      const errors = outcomes.flatMap((item) => ("error" in item ? [item.error] : []));
      expect(errors).toHaveLength(8);
      expect(errors[0]).toMatch(/^WRONGTYPE .* script: \w{40}, on @user_script:30\.$/);
      expect(errors[1]).toMatch(/on @user_script:100\.$/);
      expect(errors[2]).toMatch(/on @user_script:112\.$/);
      expect(errors[3]).toMatch(/^ERR The ID specified in XADD .* on @user_script:101\.$/);
      expect(errors[4]).toMatch(/on @user_script:114\.$/);
      expect(errors[5]).toMatch(/^ERR Write commands are not allowed from read-only scripts\./);
      expect(errors[6]).toMatch(/^WRONGTYPE .* on @user_script:3\.$/);
      expect(errors[7]).toMatch(/^WRONGTYPE .* on @user_script:4\.$/);
    });

    it("hands input beyond its port to the Lua, which then answers", async () => {
      // Given / When: versions past 2^31 (the fake's Lua has 32-bit integers), a non-numeric
      // count, a missing key
      const { twin, outcomes } = await same((redis) =>
        sequential(
          () => redis.xadd("agg", "2147483647-0", "i", "planted"),
          () => append(redis, "any", 0, [{ id: "a" }]),
          () => redis.eval(APPEND_SCRIPT, 2, "agg", "log", "any", "0", "acc-1", "one"),
          () => redis.eval(APPEND_SCRIPT, 1, "agg", "any", "0", "acc-1", "0"),
          () => append(redis, "exact", "1.5", [{ id: "a" }], ["fresh", "log"]),
        ),
      );
      // Then
      expect(outcomes.every((item) => "error" in item || item.reply !== undefined)).toBe(true);
      expect(twin.scriptRunCounts()).toEqual({ twin: 0, lua: 4 });
    });

    it("wakes a reader blocked on the log after the script, as the Lua run does", async () => {
      // Given
      const { twin } = pair();
      const reader = twin.duplicate();
      clients.push(reader as FakeRedis);
      const read = reader.xread("BLOCK", 0, "STREAMS", "log", "$");
      await new Promise((resolve) => setImmediate(resolve));
      // When
      const reply = await append(twin, "any", 0, [{ id: "a" }]);
      // Then
      expect(reply).toEqual(["ok", 1, 1, "1700000000000-0"]);
      expect(await read).toEqual([
        [
          "log",
          [
            [
              "1700000000000-0",
              ["i", "a", "t", "Deposited", "d", '{"id":"a"}', "a", "acc-1", "v", "1"],
            ],
          ],
        ],
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
      expect(outcomes.map((item) => ("reply" in item ? item.reply : item.error))).toEqual([
        1, 0, 0, 1, 0, 1, 0,
      ]);
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
        await outcome(redis.evalsha(sha, 2, "agg", "log", "any", "0", "acc-1", "0")),
        await outcome(redis.script("EXISTS", sha)),
        await outcome(redis.script("LOAD", APPEND_SCRIPT)),
        await outcome(redis.evalsha(sha, 2, "agg", "log", "any", "0", "acc-1", "0")),
        await outcome(redis.script("FLUSH")),
        await outcome(redis.evalsha(sha, 2, "agg", "log", "any", "0", "acc-1", "0")),
      ];
      // When
      await twin.script("FLUSH");
      const twinSteps = await steps(twin);
      const luaSteps = await steps(lua);
      // Then
      expect(twinSteps).toEqual(luaSteps);
      expect(twinSteps[0]).toEqual({ error: "NOSCRIPT No matching script. Please use EVAL." });
      expect(twinSteps[3]).toEqual({ reply: ["ok", 0, 1] });
      await twin.script("LOAD", VERSION_SCRIPT);
      const snapshot = twin.snapshot();
      expect(snapshot.scripts).toEqual([VERSION_SCRIPT]);
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
      const reply = await twin.eval(edited, 2, "agg", "log", "stream_exists", "0", "acc-1", "0");
      // Then
      expect(reply).toEqual(["conflict", 0, 0, "edited"]);
      expect(twin.scriptRunCounts()).toEqual({ twin: 0, lua: 1 });
    });

    it("serves the event store's defineCommand calls from the twins", async () => {
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
      await store.version("acc-1");
      // Then
      expect(twin.scriptRunCounts()).toEqual({ twin: 2, lua: 0 });
    });
  });
});
