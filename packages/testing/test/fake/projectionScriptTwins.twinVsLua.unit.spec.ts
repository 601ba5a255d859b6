import {
  ACQUIRE_LEASE_SCRIPT,
  COMMIT_SCRIPT,
  DEAD_LETTER_COMMIT_SCRIPT,
  HEARTBEAT_SCRIPT,
  PROJECTION_SCRIPT_TWINS,
  RENEW_LEASE_SCRIPT,
  SWITCH_ACTIVE_BUILD_SCRIPT,
} from "@streamstore/projections/internal";
import { afterEach, describe, expect, it } from "vitest";
import {
  createFakeRedis,
  createManualClock,
  type FakeRedis,
  type ManualClock,
} from "../../src/index.js";
import { type Outcome, outcome } from "./support/outcome.js";

// Each case runs the same raw commands on two fakes, one running the projections' scripts as
// native twins and one in the Lua VM, and requires the same replies, the same errors (text and
// script line included) and the same data afterwards. Numbers past 2^31, where fengari's 32-bit
// integers used to make the Lua disagree with real Redis, are compared the same way: the fake's
// Lua now computes and formats them as Redis's Lua 5.1 does (doubles), and so do the twins.

const clients: FakeRedis[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});

interface Side {
  readonly redis: FakeRedis;
  readonly clock: ManualClock;
}

function side(twins: boolean): Side {
  // One fixed clock per fake: `*` ids, TIME and expiries come out the same on both.
  const clock = createManualClock(1_700_000_000_000);
  const redis = createFakeRedis({ clock, scriptTwins: twins ? PROJECTION_SCRIPT_TWINS : false });
  clients.push(redis);
  return { redis, clock };
}

/** Every key with its type, contents and TTL. */
async function dump(redis: FakeRedis): Promise<Record<string, unknown>> {
  const result: Record<string, unknown> = {};
  for (const key of (await redis.keys("*")).sort()) {
    const type = await redis.type(key);
    const ttl = await redis.pttl(key);
    if (type === "stream") result[key] = { ttl, entries: await redis.xrange(key, "-", "+") };
    else if (type === "hash") result[key] = { ttl, hash: await redis.hgetall(key) };
    else result[key] = { ttl, type, value: type === "string" ? await redis.get(key) : undefined };
  }
  return result;
}

type Step = (side: Side) => Promise<unknown>;

/** Runs `steps` on both fakes; returns the twin side's outcomes once the Lua side matched. */
async function same(...steps: Step[]): Promise<{ twin: Side; outcomes: Outcome[] }> {
  const twin = side(true);
  const lua = side(false);
  const run = async (target: Side) => {
    const outcomes: Outcome[] = [];
    for (const step of steps) outcomes.push(await outcome(step(target)));
    return outcomes;
  };
  const twinOutcomes = await run(twin);
  const luaOutcomes = await run(lua);
  expect(twinOutcomes).toEqual(luaOutcomes);
  expect(await dump(twin.redis)).toEqual(await dump(lua.redis));
  expect(lua.redis.scriptRunCounts().twin).toBe(0);
  return { twin, outcomes: twinOutcomes };
}

const K = {
  checkpoints: "p:{rm:b:v1}:checkpoints",
  fence: "p:{rm:b:v1}:fence:account:0",
  dlq: "p:{rm:b:v1}:dlq",
  attempts: "p:{rm:b:v1}:attempts",
  doc: (key: string) => `p:{rm:b:v1}:doc:${key}`,
  lease: "p:{rm:b:v1}:lease:account:0",
  members: "p:{rm:b:v1}:members",
  active: "p:rm:b:active",
};

interface CommitInput {
  token?: string;
  expected?: string;
  position?: string;
  delta?: number | string;
  docs?: { key: string; expectedRevision: number | string; value: string }[];
  deadLetters?: string[][];
  clear?: string[];
}

/** EVAL of the commit script with the layout createRedisReadModelStore sends. */
function commit(redis: FakeRedis, input: CommitInput): Promise<unknown> {
  const docs = input.docs ?? [];
  const deadLetters = input.deadLetters ?? [];
  const clear = input.clear ?? [];
  const args: (string | number)[] = [
    input.token ?? "",
    "account:0",
    input.expected ?? "0-0",
    input.position ?? "1-0",
    input.delta ?? 1,
    docs.length,
    deadLetters.length,
    clear.length,
  ];
  for (const doc of docs) args.push(doc.expectedRevision, doc.value);
  for (const fields of deadLetters) args.push(fields.length, ...fields);
  args.push(...clear);
  return redis.eval(
    COMMIT_SCRIPT,
    4 + docs.length,
    K.checkpoints,
    K.fence,
    K.dlq,
    K.attempts,
    ...docs.map((doc) => K.doc(doc.key)),
    ...args,
  );
}

describe("projection script twins", () => {
  describe("commit", () => {
    it("replies ok and writes documents, checkpoint, dead letters and cleared attempts in order", async () => {
      // Given / When
      const { twin, outcomes } = await same(
        ({ redis }) => redis.hset(K.attempts, "account:0:1-0", "2", "account:0:2-0", "1"),
        ({ redis }) => redis.set(K.fence, "7"),
        ({ redis }) =>
          commit(redis, {
            token: "7",
            position: "1-0",
            delta: 2,
            docs: [{ key: "a", expectedRevision: 0, value: '1:{"n":1}' }],
          }),
        ({ redis }) =>
          commit(redis, {
            token: "7",
            expected: "1-0",
            position: "3-0",
            delta: 2,
            docs: [
              { key: "a", expectedRevision: 1, value: '2:{"n":2}' },
              { key: "b", expectedRevision: 0, value: '1:{"n":1}' },
            ],
            deadLetters: [["entryId", "2-0", "error", "boom"]],
            clear: ["account:0:1-0", "account:0:2-0"],
          }),
      );
      // Then
      expect(outcomes[2]).toEqual({ reply: ["ok"] });
      expect(outcomes[3]).toEqual({ reply: ["ok"] });
      expect(await twin.redis.hget(K.checkpoints, "account:0")).toBe("3-0|4");
      expect(await twin.redis.xlen(K.dlq)).toBe(1);
      expect(await twin.redis.exists(K.attempts)).toBe(0);
      expect(twin.redis.scriptRunCounts()).toEqual({ twin: 2, lua: 0 });
    });

    it("replies fenced with the current token (0 when none) and writes nothing", async () => {
      const { outcomes } = await same(
        ({ redis }) => commit(redis, { token: "1" }),
        ({ redis }) => redis.set(K.fence, "3"),
        ({ redis }) => commit(redis, { token: "2" }),
        // An empty token skips the check (the in-memory tests' unfenced commits).
        ({ redis }) => commit(redis, { token: "" }),
      );
      expect(outcomes[0]).toEqual({ reply: ["fenced", "0"] });
      expect(outcomes[2]).toEqual({ reply: ["fenced", "3"] });
      expect(outcomes[3]).toEqual({ reply: ["ok"] });
    });

    it("replies checkpoint with the stored position when the batch was read after another", async () => {
      const { outcomes } = await same(
        ({ redis }) => redis.hset(K.checkpoints, "account:0", "5-0|3"),
        ({ redis }) => commit(redis, { expected: "0-0", position: "6-0" }),
        ({ redis }) => commit(redis, { expected: "4-0", position: "6-0" }),
        ({ redis }) => commit(redis, { expected: "5-0", position: "6-0" }),
      );
      expect(outcomes[1]).toEqual({ reply: ["checkpoint", "5-0"] });
      expect(outcomes[2]).toEqual({ reply: ["checkpoint", "5-0"] });
      expect(outcomes[3]).toEqual({ reply: ["ok"] });
    });

    it("replies revision with every stale document's index and writes nothing", async () => {
      const { twin, outcomes } = await same(
        ({ redis }) => redis.set(K.doc("a"), '2:{"n":2}'),
        ({ redis }) => redis.set(K.doc("c"), '1:{"n":1}'),
        ({ redis }) =>
          commit(redis, {
            docs: [
              { key: "a", expectedRevision: 1, value: '2:{"n":9}' },
              { key: "b", expectedRevision: 0, value: '1:{"n":9}' },
              { key: "c", expectedRevision: 0, value: '1:{"n":9}' },
              { key: "d", expectedRevision: 3, value: '4:{"n":9}' },
            ],
          }),
        // A non-numeric expected revision compares unequal in the Lua (nil): the twin hands it over.
        ({ redis }) =>
          commit(redis, { docs: [{ key: "a", expectedRevision: "x", value: '3:{"n":9}' }] }),
      );
      expect(outcomes[2]).toEqual({ reply: ["revision", 1, 3, 4] });
      expect(outcomes[3]).toEqual({ reply: ["revision", 1] });
      expect(await twin.redis.get(K.doc("a"))).toBe('2:{"n":2}');
      expect(await twin.redis.exists(K.doc("b"))).toBe(0);
      expect(twin.redis.scriptRunCounts()).toEqual({ twin: 1, lua: 1 });
    });

    it("raises the same errors on the same lines, before and after its first write", async () => {
      const { twin, outcomes } = await same(
        // WRONGTYPE on the fence read (first command)
        ({ redis }) => redis.hset(K.fence, "x", "1"),
        ({ redis }) => commit(redis, { token: "1" }),
        // A dead letter with an odd field count: XADD fails after the document and checkpoint writes
        ({ redis }) =>
          commit(redis, {
            docs: [{ key: "a", expectedRevision: 0, value: '1:{"n":1}' }],
            deadLetters: [["entryId"]],
          }),
        // WRONGTYPE on the attempts hash, last command
        ({ redis }) => redis.set(K.attempts, "not a hash"),
        ({ redis }) => commit(redis, { expected: "1-0", position: "2-0", clear: ["f"] }),
      );
      expect((outcomes[1] as { error: string }).error).toMatch(/^WRONGTYPE .*@user_script:4\.$/);
      expect((outcomes[2] as { error: string }).error).toMatch(
        /Wrong number of args calling Redis command from script/,
      );
      expect((outcomes[4] as { error: string }).error).toMatch(/^WRONGTYPE .*@user_script:\d+\.$/);
      expect(twin.redis.scriptRunCounts()).toEqual({ twin: 3, lua: 0 });
    });

    it("answers a hand-written checkpoint or document without a revision as the Lua does", async () => {
      const { twin, outcomes } = await same(
        ({ redis }) => redis.hset(K.checkpoints, "account:0", "garbage"),
        ({ redis }) => commit(redis, { expected: "garbage" }),
        ({ redis }) => redis.hdel(K.checkpoints, "account:0"),
        ({ redis }) => redis.set(K.doc("a"), '{"no":"revision"}'),
        ({ redis }) => commit(redis, { docs: [{ key: "a", expectedRevision: 0, value: "1:{}" }] }),
        // An argument layout the runner never sends goes to the Lua
        ({ redis }) => redis.eval(COMMIT_SCRIPT, 4, "k1", "k2", "k3", "k4", "", "f"),
      );
      // Then: the position is nil (the reply ends there), the revision is -1, and the Lua
      // compared "0-0" with a missing ARGV[3]
      expect(outcomes[1]).toEqual({ reply: ["checkpoint"] });
      expect(outcomes[4]).toEqual({ reply: ["revision", 1] });
      expect(outcomes[5]).toEqual({ reply: ["checkpoint", "0-0"] });
      expect(twin.redis.scriptRunCounts()).toEqual({ twin: 2, lua: 1 });
    });

    it("adds applied counts past 2^31 as real Redis does, in the twin and in the Lua", async () => {
      // Given a checkpoint whose applied count is at the int32 limit, when one more entry is
      // committed
      const { twin, outcomes } = await same(
        ({ redis }) => redis.hset(K.checkpoints, "account:0", "5-0|2147483647"),
        ({ redis }) => commit(redis, { expected: "5-0", position: "6-0", delta: 1 }),
      );
      // Then both write Redis's (Lua 5.1 doubles) sum
      expect(outcomes[1]).toEqual({ reply: ["ok"] });
      expect(await twin.redis.hget(K.checkpoints, "account:0")).toBe("6-0|2147483648");
    });
  });

  describe("dead-letter commit", () => {
    const retry = (
      redis: FakeRedis,
      id: string,
      expectedRevision: number | string,
      value: string,
    ) =>
      redis.eval(DEAD_LETTER_COMMIT_SCRIPT, 2, K.dlq, K.doc("a"), id, 1, expectedRevision, value);

    it("applies a dead letter once: ok, then gone; revision when the document moved", async () => {
      const { twin, outcomes } = await same(
        ({ redis }) => redis.xadd(K.dlq, "1-1", "entryId", "5-0"),
        ({ redis }) => redis.set(K.doc("a"), '3:{"n":3}'),
        ({ redis }) => retry(redis, "1-1", 2, '3:{"n":9}'),
        ({ redis }) => retry(redis, "1-1", 3, '4:{"n":4}'),
        ({ redis }) => retry(redis, "1-1", 4, '5:{"n":5}'),
        ({ redis }) => retry(redis, "not-an-id", 4, '5:{"n":5}'),
      );
      expect(outcomes[2]).toEqual({ reply: ["revision"] });
      expect(outcomes[3]).toEqual({ reply: ["ok"] });
      expect(outcomes[4]).toEqual({ reply: ["gone"] });
      expect((outcomes[5] as { error: string }).error).toMatch(
        /Invalid stream ID.*@user_script:2\.$/,
      );
      expect(await twin.redis.get(K.doc("a"))).toBe('4:{"n":4}');
      expect(twin.redis.scriptRunCounts()).toEqual({ twin: 4, lua: 0 });
    });
  });

  describe("leases", () => {
    const acquire = (redis: FakeRedis, worker: string, ttl: number | string = 3000) =>
      redis.eval(ACQUIRE_LEASE_SCRIPT, 2, K.lease, K.fence, worker, ttl);
    const renew = (redis: FakeRedis, holder: string, ttl: number | string = 3000) =>
      redis.eval(RENEW_LEASE_SCRIPT, 1, K.lease, holder, ttl);

    it("takes a free lease with a new token, extends its own, refuses another worker's", async () => {
      const { outcomes } = await same(
        ({ redis }) => acquire(redis, "w1"),
        ({ clock }) => Promise.resolve(clock.advance(1000)),
        ({ redis }) => acquire(redis, "w1", 5000),
        ({ redis }) => acquire(redis, "w2"),
        ({ clock }) => Promise.resolve(clock.advance(5001)),
        ({ redis }) => acquire(redis, "w2"),
        ({ redis }) => redis.set(K.lease, "no token here"),
        ({ redis }) => acquire(redis, "no token here"),
        ({ redis }) => redis.set(K.lease, "a|b|12"),
        ({ redis }) => acquire(redis, "a|b"),
      );
      expect(outcomes.map((o) => ("reply" in o ? o.reply : o.error))).toEqual([
        1,
        undefined,
        1,
        0,
        undefined,
        2,
        "OK",
        0,
        "OK",
        12,
      ]);
    });

    it("renews and releases a lease only while held, and reports a lost one", async () => {
      const { outcomes } = await same(
        ({ redis }) => acquire(redis, "w1"),
        ({ redis }) => renew(redis, "w1|1", 4000),
        ({ redis }) => renew(redis, "w1|0", 4000),
        ({ clock }) => Promise.resolve(clock.advance(4001)),
        ({ redis }) => renew(redis, "w1|1", 4000),
        ({ redis }) => acquire(redis, "w2"),
        ({ redis }) => renew(redis, "w2|2", "release"),
        ({ redis }) => redis.exists(K.lease),
        ({ redis }) => renew(redis, "w2|2", "not a ttl"),
      );
      expect(outcomes.map((o) => ("reply" in o ? o.reply : o.error))).toEqual([
        1,
        1,
        0,
        undefined,
        0,
        2,
        1,
        0,
        0,
      ]);
    });

    it("raises the same errors: a bad ttl after INCR, a wrong-typed lease key", async () => {
      const { outcomes } = await same(
        ({ redis }) => acquire(redis, "w1", "soon"),
        ({ redis }) => redis.set(K.lease, "w1|1"),
        ({ redis }) => acquire(redis, "w1", "soon"),
        ({ redis }) => renew(redis, "w1|1", "soon"),
        ({ redis }) => redis.del(K.lease),
        ({ redis }) => redis.hset(K.lease, "x", "1"),
        ({ redis }) => acquire(redis, "w1"),
        ({ redis }) => renew(redis, "w1|1"),
      );
      for (const index of [0, 2, 3, 6, 7]) expect(outcomes[index]).toHaveProperty("error");
    });

    it("formats fence tokens past 2^31 as real Redis does, in the twin and in the Lua", async () => {
      const { twin, outcomes } = await same(
        ({ redis }) => redis.set(K.fence, "2147483647"),
        ({ redis }) => acquire(redis, "w1"),
      );
      expect(outcomes[1]).toEqual({ reply: 2147483648 });
      expect(await twin.redis.get(K.lease)).toBe("w1|2147483648");
    });
  });

  describe("heartbeat", () => {
    const beat = (redis: FakeRedis, worker: string, ttl: number | string = 3000) =>
      redis.eval(HEARTBEAT_SCRIPT, 1, K.members, worker, ttl);

    it("lists live members in hash order, expires dead ones on the server clock, and leaves", async () => {
      const { twin, outcomes } = await same(
        ({ redis }) => beat(redis, "w1"),
        ({ clock }) => Promise.resolve(clock.advance(1500)),
        ({ redis }) => beat(redis, "w2"),
        ({ clock }) => Promise.resolve(clock.advance(1500)),
        ({ redis }) => beat(redis, "w2"),
        ({ redis }) => beat(redis, "w3"),
        ({ redis }) => beat(redis, "w3", "leave"),
      );
      expect(outcomes.map((o) => ("reply" in o ? o.reply : o.error))).toEqual([
        ["w1"],
        undefined,
        ["w1", "w2"],
        undefined,
        ["w2"],
        ["w2", "w3"],
        ["w2"],
      ]);
      expect(await twin.redis.hget(K.members, "w2")).toBe(String(1_700_000_003_000 + 3000));
      expect(twin.redis.scriptRunCounts()).toEqual({ twin: 5, lua: 0 });
    });

    it("hands a non-numeric member or ttl to the Lua (a hand-written member counts as expired), and raises WRONGTYPE alike", async () => {
      const { twin, outcomes } = await same(
        ({ redis }) => redis.hset(K.members, "hand-written", "soon"),
        ({ redis }) => beat(redis, "w1"),
        ({ redis }) => redis.del(K.members),
        ({ redis }) => beat(redis, "w1", "soon"),
        ({ redis }) => redis.set(K.members, "x"),
        ({ redis }) => beat(redis, "w1"),
      );
      expect(outcomes[1]).toEqual({ reply: ["w1"] });
      expect(outcomes[3]).toHaveProperty("error");
      expect((outcomes[5] as { error: string }).error).toMatch(/^WRONGTYPE/);
      expect(twin.redis.scriptRunCounts()).toEqual({ twin: 1, lua: 2 });
    });
  });

  describe("switch active build", () => {
    it("compare-and-sets the pointer, a missing pointer reading as empty", async () => {
      const swap = (redis: FakeRedis, expected: string, next: string) =>
        redis.eval(SWITCH_ACTIVE_BUILD_SCRIPT, 1, K.active, expected, next);
      const { outcomes } = await same(
        ({ redis }) => swap(redis, "v1", "v2"),
        ({ redis }) => swap(redis, "", "v1"),
        ({ redis }) => swap(redis, "", "v2"),
        ({ redis }) => swap(redis, "v1", "v2"),
      );
      expect(outcomes.map((o) => ("reply" in o ? o.reply : o.error))).toEqual([0, 1, 0, 1]);
    });
  });
});
