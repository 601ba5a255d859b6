import { afterEach, describe, expect, it } from "vitest";
import {
  createFakeRedis,
  createManualClock,
  type FakeRedis,
  type ManualClock,
} from "../../src/index.js";

const clients: FakeRedis[] = [];
function fake(clock: ManualClock = createManualClock(1_000)): FakeRedis {
  const redis = createFakeRedis({ clock });
  clients.push(redis);
  return redis;
}
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});

async function seeded(clock?: ManualClock): Promise<FakeRedis> {
  const redis = fake(clock);
  for (const id of ["1-0", "2-0", "3-0"]) await redis.xadd("s", id, "n", id);
  await redis.xgroup("CREATE", "s", "g", "0");
  return redis;
}

describe("createFakeRedis", () => {
  describe("XGROUP", () => {
    it("creates a group with MKSTREAM and refuses a duplicate with BUSYGROUP", async () => {
      // Given
      const redis = fake();
      // When
      const created = await redis.xgroup("CREATE", "s", "g", "$", "MKSTREAM");
      // Then
      expect(created).toBe("OK");
      expect(await redis.type("s")).toBe("stream");
      await expect(redis.xgroup("CREATE", "s", "g", "$")).rejects.toThrow(
        "BUSYGROUP Consumer Group name already exists",
      );
      await expect(redis.xgroup("CREATE", "nokey", "g", "$")).rejects.toThrow(
        "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.",
      );
      await expect(redis.xgroup("SETID", "s", "nogroup", "$")).rejects.toThrow(
        "NOGROUP No such consumer group 'nogroup' for key name 's'",
      );
      await expect(redis.call("XGROUP", "NOPE", "s")).rejects.toThrow(
        "ERR unknown subcommand 'NOPE'. Try XGROUP HELP.",
      );
      await expect(redis.call("XGROUP", "CREATE", "s", "g")).rejects.toThrow(
        "ERR wrong number of arguments for 'xgroup|create' command",
      );
    });

    it("creates and deletes consumers, returning the number of pending entries dropped", async () => {
      // Given
      const redis = await seeded();
      await redis.xreadgroup("GROUP", "g", "c1", "COUNT", 2, "STREAMS", "s", ">");
      // When
      const created = await redis.xgroup("CREATECONSUMER", "s", "g", "c2");
      const again = await redis.xgroup("CREATECONSUMER", "s", "g", "c2");
      const dropped = await redis.xgroup("DELCONSUMER", "s", "g", "c1");
      // Then
      expect([created, again, dropped]).toEqual([1, 0, 2]);
      expect(await redis.xpending("s", "g")).toEqual([0, null, null, null]);
    });
  });

  describe("XREADGROUP", () => {
    it("delivers new entries once per group and records them as pending", async () => {
      // Given
      const redis = await seeded();
      // When
      const first = await redis.xreadgroup("GROUP", "g", "c1", "COUNT", 2, "STREAMS", "s", ">");
      const second = await redis.xreadgroup("GROUP", "g", "c2", "STREAMS", "s", ">");
      const none = await redis.xreadgroup("GROUP", "g", "c2", "STREAMS", "s", ">");
      // Then
      expect(first).toEqual([
        [
          "s",
          [
            ["1-0", ["n", "1-0"]],
            ["2-0", ["n", "2-0"]],
          ],
        ],
      ]);
      expect(second).toEqual([["s", [["3-0", ["n", "3-0"]]]]]);
      expect(none).toBeNull();
      expect(await redis.xpending("s", "g")).toEqual([
        3,
        "1-0",
        "3-0",
        [
          ["c1", "2"],
          ["c2", "1"],
        ],
      ]);
    });

    it("reads the consumer's own history with an explicit id, deleted entries with null fields", async () => {
      // Given
      const clock = createManualClock(1_000);
      const redis = await seeded(clock);
      await redis.xreadgroup("GROUP", "g", "c1", "STREAMS", "s", ">");
      await redis.xdel("s", "2-0");
      clock.advance(100);
      // When
      const history = await redis.xreadgroup("GROUP", "g", "c1", "STREAMS", "s", "0");
      const pending = await redis.xpending("s", "g", "-", "+", 10);
      // Then
      expect(history).toEqual([
        [
          "s",
          [
            ["1-0", ["n", "1-0"]],
            ["2-0", null],
            ["3-0", ["n", "3-0"]],
          ],
        ],
      ]);
      expect(pending).toEqual([
        ["1-0", "c1", 0, 2],
        ["2-0", "c1", 100, 1],
        ["3-0", "c1", 0, 2],
      ]);
    });

    it("does not create pending entries with NOACK", async () => {
      // Given
      const redis = await seeded();
      // When
      await redis.xreadgroup("GROUP", "g", "c1", "NOACK", "STREAMS", "s", ">");
      // Then
      expect(await redis.xpending("s", "g")).toEqual([0, null, null, null]);
    });

    it("answers Redis's errors for a missing group, $ and > misuse", async () => {
      // Given
      const redis = await seeded();
      // When / Then
      await expect(redis.xreadgroup("GROUP", "nope", "c", "STREAMS", "s", ">")).rejects.toThrow(
        "NOGROUP No such key 's' or consumer group 'nope' in XREADGROUP with GROUP option",
      );
      await expect(redis.xreadgroup("GROUP", "g", "c", "STREAMS", "s", "$")).rejects.toThrow(
        "ERR The $ ID is meaningless in the context of XREADGROUP",
      );
      await expect(redis.xread("STREAMS", "s", ">")).rejects.toThrow(
        "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
      );
      await expect(redis.xread("COUNT", 1, "STREAMS", "s")).rejects.toThrow(
        "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
      );
    });
  });

  describe("XACK and XPENDING", () => {
    it("acknowledges pending entries and filters the extended form by IDLE and consumer", async () => {
      // Given
      const clock = createManualClock(1_000);
      const redis = await seeded(clock);
      await redis.xreadgroup("GROUP", "g", "c1", "COUNT", 1, "STREAMS", "s", ">");
      clock.advance(500);
      await redis.xreadgroup("GROUP", "g", "c2", "STREAMS", "s", ">");
      // When
      const acked = await redis.xack("s", "g", "3-0", "9-0");
      const idle = await redis.xpending("s", "g", "IDLE", 400, "-", "+", 10);
      const byConsumer = await redis.xpending("s", "g", "-", "+", 10, "c2");
      const unknown = await redis.xpending("s", "g", "-", "+", 10, "nobody");
      // Then
      expect(acked).toBe(1);
      expect(idle).toEqual([["1-0", "c1", 500, 1]]);
      expect(byConsumer).toEqual([["2-0", "c2", 0, 1]]);
      expect(unknown).toEqual([]);
      await expect(redis.xpending("s", "nope")).rejects.toThrow(
        "NOGROUP No such key 's' or consumer group 'nope'",
      );
    });
  });

  describe("XCLAIM", () => {
    it("claims entries idle for at least min-idle and honours IDLE, RETRYCOUNT, JUSTID and FORCE", async () => {
      // Given
      const clock = createManualClock(1_000);
      const redis = await seeded(clock);
      await redis.xreadgroup("GROUP", "g", "c1", "COUNT", 2, "STREAMS", "s", ">");
      clock.advance(1_000);
      // When
      const tooFresh = await redis.xclaim("s", "g", "c2", 5_000, "1-0");
      const claimed = await redis.xclaim("s", "g", "c2", 500, "1-0", "IDLE", 200);
      const justId = await redis.xclaim("s", "g", "c2", 0, "2-0", "JUSTID", "RETRYCOUNT", 7);
      const forced = await redis.xclaim("s", "g", "c3", 0, "3-0", "FORCE", "JUSTID");
      const pending = await redis.xpending("s", "g", "-", "+", 10);
      // Then
      expect(tooFresh).toEqual([]);
      expect(claimed).toEqual([["1-0", ["n", "1-0"]]]);
      expect(justId).toEqual(["2-0"]);
      expect(forced).toEqual(["3-0"]);
      expect(pending).toEqual([
        ["1-0", "c2", 200, 2],
        ["2-0", "c2", 0, 7],
        ["3-0", "c3", 0, 1],
      ]);
      await expect(redis.xclaim("s", "g", "c", 0, "1-0", "BOGUS")).rejects.toThrow(
        "ERR Unrecognized XCLAIM option 'BOGUS'",
      );
    });
  });

  describe("XAUTOCLAIM", () => {
    it("returns the next cursor, the claimed entries and the ids deleted meanwhile", async () => {
      // Given
      const clock = createManualClock(1_000);
      const redis = await seeded(clock);
      await redis.xadd("s", "4-0", "n", "4-0");
      await redis.xreadgroup("GROUP", "g", "c1", "STREAMS", "s", ">");
      await redis.xdel("s", "2-0");
      clock.advance(60_000);
      // When
      const first = await redis.xautoclaim("s", "g", "c2", 30_000, "0", "COUNT", 2);
      const second = await redis.xautoclaim("s", "g", "c2", 30_000, first[0] as string, "COUNT", 2);
      // Then: the deleted id uses one of the COUNT slots, as in Redis 7.0
      expect(first).toEqual(["3-0", [["1-0", ["n", "1-0"]]], ["2-0"]]);
      expect(second).toEqual([
        "0-0",
        [
          ["3-0", ["n", "3-0"]],
          ["4-0", ["n", "4-0"]],
        ],
        [],
      ]);
      expect((await redis.xpending("s", "g"))[0]).toBe(3);
    });
  });

  describe("XINFO", () => {
    it("reports entries-read and lag with Redis 7 semantics, including a null lag after a deletion", async () => {
      // Given
      const redis = await seeded();
      await redis.xreadgroup("GROUP", "g", "c1", "COUNT", 1, "STREAMS", "s", ">");
      // When
      const before = await redis.xinfo("GROUPS", "s");
      await redis.xdel("s", "2-0");
      const after = await redis.xinfo("GROUPS", "s");
      // Then
      expect(before).toEqual([
        [
          "name",
          "g",
          "consumers",
          1,
          "pending",
          1,
          "last-delivered-id",
          "1-0",
          "entries-read",
          1,
          "lag",
          2,
        ],
      ]);
      expect(after).toEqual([
        [
          "name",
          "g",
          "consumers",
          1,
          "pending",
          1,
          "last-delivered-id",
          "1-0",
          "entries-read",
          1,
          "lag",
          null,
        ],
      ]);
    });

    it("reports an unknown entries-read for a group created at an arbitrary id", async () => {
      // Given
      const redis = await seeded();
      // When
      await redis.xgroup("CREATE", "s", "late", "2-0");
      await redis.xgroup("CREATE", "s", "tail", "$");
      const groups = (await redis.xinfo("GROUPS", "s")) as unknown[][];
      // Then
      expect(groups.map((group) => [group[1], group[9], group[11]])).toEqual([
        ["g", null, 3],
        ["late", null, null],
        ["tail", null, 0],
      ]);
    });

    it("lists consumers sorted by name with pending counts and idle time", async () => {
      // Given
      const clock = createManualClock(1_000);
      const redis = await seeded(clock);
      await redis.xreadgroup("GROUP", "g", "zed", "COUNT", 1, "STREAMS", "s", ">");
      await redis.xreadgroup("GROUP", "g", "amy", "STREAMS", "s", ">");
      clock.advance(250);
      // When
      const consumers = await redis.xinfo("CONSUMERS", "s", "g");
      // Then
      expect(consumers).toEqual([
        ["name", "amy", "pending", 2, "idle", 250],
        ["name", "zed", "pending", 1, "idle", 250],
      ]);
    });

    it("describes the stream in full with groups, PELs and consumers", async () => {
      // Given
      const redis = await seeded();
      await redis.xreadgroup("GROUP", "g", "c1", "COUNT", 1, "STREAMS", "s", ">");
      // When
      const full = (await redis.xinfo("STREAM", "s", "FULL")) as unknown[];
      // Then
      expect(full.slice(0, 14)).toEqual([
        "length",
        3,
        "radix-tree-keys",
        1,
        "radix-tree-nodes",
        2,
        "last-generated-id",
        "3-0",
        "max-deleted-entry-id",
        "0-0",
        "entries-added",
        3,
        "recorded-first-entry-id",
        "1-0",
      ]);
      expect(full[15]).toHaveLength(3);
      expect(full[17]).toEqual([
        [
          "name",
          "g",
          "last-delivered-id",
          "1-0",
          "entries-read",
          1,
          "lag",
          2,
          "pel-count",
          1,
          "pending",
          [["1-0", "c1", 1_000, 1]],
          "consumers",
          [["name", "c1", "seen-time", 1_000, "pel-count", 1, "pending", [["1-0", 1_000, 1]]]],
        ],
      ]);
      await expect(redis.xinfo("STREAM", "nokey")).rejects.toThrow("ERR no such key");
    });
  });
});
