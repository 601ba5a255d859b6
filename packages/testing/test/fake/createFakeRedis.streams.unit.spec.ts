import { afterEach, describe, expect, it } from "vitest";
import { createFakeRedis, createManualClock, type FakeRedis } from "../../src/index.js";

const clients: FakeRedis[] = [];
function fake(startMs = 1_000): FakeRedis {
  const redis = createFakeRedis({ clock: createManualClock(startMs) });
  clients.push(redis);
  return redis;
}
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});

const MAX = "18446744073709551615";

describe("createFakeRedis", () => {
  describe("XADD", () => {
    it("generates ids from the clock and increments the sequence within one millisecond", async () => {
      // Given
      const redis = fake(1_000);
      // When
      const first = await redis.xadd("s", "*", "a", "1");
      const second = await redis.xadd("s", "*", "a", "2");
      (redis.clock as ReturnType<typeof createManualClock>).advance(5);
      const third = await redis.xadd("s", "*", "a", "3");
      // Then
      expect([first, second, third]).toEqual(["1000-0", "1000-1", "1005-0"]);
    });

    it("keeps ids monotonic when the clock goes backwards", async () => {
      // Given
      const clock = createManualClock(2_000);
      const redis = createFakeRedis({ clock });
      clients.push(redis);
      await redis.xadd("s", "*", "a", "1");
      // When
      clock.set(1_000);
      const id = await redis.xadd("s", "*", "a", "2");
      // Then
      expect(id).toBe("2000-1");
    });

    it("accepts explicit ids and the <ms>-* form", async () => {
      // Given
      const redis = fake();
      // When
      const explicit = await redis.xadd("s", "5-3", "a", "1");
      const sameMs = await redis.xadd("s", "5-*", "a", "2");
      const newMs = await redis.xadd("s", "7-*", "a", "3");
      // Then
      expect([explicit, sameMs, newMs]).toEqual(["5-3", "5-4", "7-0"]);
    });

    it("handles ids beyond 2^53 exactly and compares them numerically", async () => {
      // Given
      const redis = fake();
      await redis.xadd("s", "9-1", "a", "1");
      await redis.xadd("s", "10-1", "a", "2");
      // When
      const big = await redis.xadd("s", `${MAX}-${MAX}`, "a", "3");
      const range = await redis.xrange("s", "-", "+");
      // Then
      expect(big).toBe(`${MAX}-${MAX}`);
      expect(range.map(([id]) => id)).toEqual(["9-1", "10-1", `${MAX}-${MAX}`]);
      await expect(redis.xadd("s", "*", "a", "4")).rejects.toThrow(
        "ERR The stream has exhausted the last possible ID, unable to add more items",
      );
    });

    it("rejects ids that are not greater than the top item, 0-0 and malformed ids with Redis's messages", async () => {
      // Given
      const redis = fake();
      await redis.xadd("s", "5-5", "a", "1");
      // When / Then
      await expect(redis.xadd("s", "5-5", "a", "1")).rejects.toThrow(
        "ERR The ID specified in XADD is equal or smaller than the target stream top item",
      );
      await expect(redis.xadd("t", "0-0", "a", "1")).rejects.toThrow(
        "ERR The ID specified in XADD must be greater than 0-0",
      );
      await expect(redis.xadd("s", "abc", "a", "1")).rejects.toThrow(
        "ERR Invalid stream ID specified as stream command argument",
      );
      await expect(redis.xadd("s", "*", "a")).rejects.toThrow(
        "ERR wrong number of arguments for 'xadd' command",
      );
      const error = await redis.xadd("s", "1-1", "a", "1").catch((caught: unknown) => caught);
      expect((error as Error).name).toBe("ReplyError");
    });

    it("parses id parts like string2ull: leading zeros, the 127-byte limit and strtoull's '-' wrap-around", async () => {
      // Given: each expectation below is what Redis 7.0.15 replies (one fresh stream per id)
      const redis = fake();
      const accepted: Record<string, string> = {
        "00000000000000000000011-0": "11-0",
        [`${"0".repeat(123)}13-0`]: "13-0",
        "00-2": "0-2",
        "+0-1": "0-1",
        "5--01": `5-${MAX}`,
        "5- -3": "5-18446744073709551613",
        "5--0": "5-0",
        "5--9223372036854775809": "5-9223372036854775807",
        [`5--${MAX}`]: "5-1",
        "5-7\u0000junk": "5-7",
      };
      const rejected = [
        `${"0".repeat(124)}14-0`,
        "5--1",
        "5--9223372036854775808",
        "5--18446744073709551616",
        " -1-0",
        "-01-0",
        "5-+-1",
        "5-+",
        "5- ",
        "5-7\n",
        "0x5-0",
      ];
      // When
      const ids: Record<string, unknown> = {};
      for (const [index, id] of Object.keys(accepted).entries()) {
        ids[id] = await redis.xadd(`ok${index}`, id, "f", "v");
      }
      const errors = await Promise.all(
        rejected.map((id, index) =>
          redis.xadd(`bad${index}`, id, "f", "v").then(
            () => "accepted",
            (error: Error) => error.message,
          ),
        ),
      );
      // Then
      expect(ids).toEqual(accepted);
      expect(new Set(errors)).toEqual(
        new Set(["ERR Invalid stream ID specified as stream command argument"]),
      );
    });

    it("returns null with NOMKSTREAM when the stream does not exist and creates nothing", async () => {
      // Given
      const redis = fake();
      // When
      const id = await redis.xadd("s", "NOMKSTREAM", "*", "a", "1");
      // Then
      expect(id).toBeNull();
      expect(await redis.exists("s")).toBe(0);
    });

    it("trims exactly with MAXLEN and only whole nodes of 100 entries with MAXLEN ~", async () => {
      // Given
      const redis = fake();
      for (let index = 1; index <= 250; index++)
        await redis.xadd("s", `${index}-0`, "n", String(index));
      // When
      await redis.xadd("s", "MAXLEN", "~", "120", "251-0", "n", "251");
      const afterApprox = await redis.xlen("s");
      await redis.xadd("s", "MAXLEN", "=", "10", "252-0", "n", "252");
      // Then
      expect(afterApprox).toBe(151);
      expect(await redis.xlen("s")).toBe(10);
      expect((await redis.xrange("s", "-", "+", "COUNT", 1))[0]?.[0]).toBe("243-0");
    });

    it("trims by MINID and refuses LIMIT without ~", async () => {
      // Given
      const redis = fake();
      for (let index = 1; index <= 5; index++)
        await redis.xadd("s", `${index}-0`, "n", String(index));
      // When
      const deleted = await redis.xtrim("s", "MINID", "3");
      // Then
      expect(deleted).toBe(2);
      expect(await redis.xlen("s")).toBe(3);
      await expect(redis.xtrim("s", "MAXLEN", "1", "LIMIT", "10")).rejects.toThrow(
        "ERR syntax error, LIMIT cannot be used without the special ~ option",
      );
      await expect(redis.call("XTRIM", "s", "LIMIT", "10")).rejects.toThrow(
        "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
      );
      await expect(redis.call("XTRIM", "s", "LIMIT", "0")).rejects.toThrow(
        "ERR syntax error, XTRIM must be called with a trimming strategy",
      );
    });
  });

  describe("XRANGE and XREVRANGE", () => {
    it("supports exclusive bounds, incomplete ids and COUNT in both directions", async () => {
      // Given
      const redis = fake();
      for (const id of ["1-0", "1-1", "2-0", "3-0", "3-5"]) await redis.xadd("s", id, "id", id);
      // When
      const exclusive = await redis.xrange("s", "(1-0", "(3-5");
      const incomplete = await redis.xrange("s", "3", "3");
      const reverse = await redis.xrevrange("s", "+", "-", "COUNT", 2);
      const empty = await redis.xrange("s", "-", "+", "COUNT", 0);
      // Then
      expect(exclusive.map(([id]) => id)).toEqual(["1-1", "2-0", "3-0"]);
      expect(incomplete.map(([id]) => id)).toEqual(["3-0", "3-5"]);
      expect(reverse).toEqual([
        ["3-5", ["id", "3-5"]],
        ["3-0", ["id", "3-0"]],
      ]);
      expect(empty).toBeNull();
      expect(await redis.xrange("missing", "-", "+")).toEqual([]);
    });

    it("rejects an exclusive bound that cannot move", async () => {
      // Given
      const redis = fake();
      // When / Then
      await expect(redis.xrange("s", `(${MAX}-${MAX}`, "+")).rejects.toThrow(
        "ERR invalid start ID for the interval",
      );
      await expect(redis.xrange("s", "-", "(0-0")).rejects.toThrow(
        "ERR invalid end ID for the interval",
      );
      await expect(redis.xrange("s", "(-", "+")).rejects.toThrow(
        "ERR Invalid stream ID specified as stream command argument",
      );
    });

    it("serves a range in logarithmic time on a large stream", async () => {
      // Given
      const redis = fake();
      const pipeline = redis.pipeline();
      for (let index = 1; index <= 100_000; index++) pipeline.xadd("s", `${index}-0`, "n", "x");
      await pipeline.exec();
      // When
      const started = performance.now();
      for (let index = 0; index < 2_000; index++) {
        await redis.xrange("s", `${90_000 + index}`, "+", "COUNT", 5);
      }
      const elapsed = performance.now() - started;
      // Then: a scan of 90k entries per call would take seconds
      expect(elapsed).toBeLessThan(1_500);
    });
  });

  describe("XDEL, XLEN and XSETID", () => {
    it("deletes entries and records the max deleted id and first id", async () => {
      // Given
      const redis = fake();
      for (const id of ["1-0", "2-0", "3-0"]) await redis.xadd("s", id, "a", "1");
      // When
      const deleted = await redis.xdel("s", "1-0", "9-9");
      const info = await redis.xinfo("STREAM", "s");
      // Then
      expect(deleted).toBe(1);
      expect(await redis.xlen("s")).toBe(2);
      expect(info).toEqual(
        expect.arrayContaining(["max-deleted-entry-id", "1-0", "recorded-first-entry-id", "2-0"]),
      );
    });

    it("moves the last id forward with XSETID and refuses to move it below the top item", async () => {
      // Given
      const redis = fake();
      await redis.xadd("s", "5-0", "a", "1");
      // When
      await redis.xsetid("s", "2000-0");
      const next = await redis.xadd("s", "*", "a", "2");
      // Then
      expect(next).toBe("2000-1");
      await expect(redis.xsetid("s", "1-0")).rejects.toThrow(
        "ERR The ID specified in XSETID is smaller than the target stream top item",
      );
      await expect(redis.xsetid("missing", "1-0")).rejects.toThrow("ERR no such key");
    });

    it("answers WRONGTYPE for stream commands on other types", async () => {
      // Given
      const redis = fake();
      await redis.set("k", "v");
      // When / Then
      await expect(redis.xadd("k", "*", "a", "1")).rejects.toThrow(
        "WRONGTYPE Operation against a key holding the wrong kind of value",
      );
      await expect(redis.xlen("k")).rejects.toThrow("WRONGTYPE");
    });
  });
});
