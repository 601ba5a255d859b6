import { afterEach, describe, expect, it } from "vitest";
import { createFakeRedis, type FakeRedis } from "../../src/index.js";

const clients: FakeRedis[] = [];
function fake(): FakeRedis {
  const redis = createFakeRedis();
  clients.push(redis);
  return redis;
}
function connectionOf(redis: FakeRedis): FakeRedis {
  const other = redis.duplicate() as FakeRedis;
  clients.push(other);
  return other;
}
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});

describe("createFakeRedis", () => {
  describe("XREAD", () => {
    it("reads several streams at once, skipping those with nothing new", async () => {
      // Given
      const redis = fake();
      await redis.xadd("a", "1-0", "n", "a1");
      await redis.xadd("b", "1-0", "n", "b1");
      await redis.xadd("b", "2-0", "n", "b2");
      // When
      const result = await redis.xread("COUNT", 1, "STREAMS", "a", "b", "missing", "1-0", "0", "0");
      // Then
      expect(result).toEqual([["b", [["1-0", ["n", "b1"]]]]]);
    });

    it("does not starve timers when a loop awaits non-blocking reads", async () => {
      // Given
      const redis = fake();
      let stopped = false;
      setTimeout(() => {
        stopped = true;
      }, 20);
      // When the loop reads until the timer fires, or gives up after far more reads than fit
      // in 20 ms (a starved timer would otherwise hang the test instead of failing it)
      let reads = 0;
      while (!stopped && reads < 200_000) {
        await redis.xread("STREAMS", "s", "0");
        reads++;
      }
      // Then the timer got its turn while the loop was still reading
      expect(stopped, `the timer never ran during ${reads} reads`).toBe(true);
    });
  });

  describe("blocking XREAD", () => {
    it("wakes a reader blocked on $ when another client adds an entry", async () => {
      // Given
      const writer = fake();
      const reader = connectionOf(writer);
      await writer.xadd("s", "1-0", "a", "old");
      const read = reader.xread("BLOCK", 0, "STREAMS", "s", "$");
      // When
      await writer.xadd("s", "2-0", "a", "new");
      // Then
      expect(await read).toEqual([["s", [["2-0", ["a", "new"]]]]]);
    });

    it("delivers the writer's reply before the woken reader's", async () => {
      // Given
      const writer = fake();
      const reader = connectionOf(writer);
      const order: string[] = [];
      const read = reader.xread("BLOCK", 0, "STREAMS", "s", "$").then(() => order.push("reader"));
      // When
      await writer.xadd("s", "*", "a", "1").then(() => order.push("writer"));
      await read;
      // Then
      expect(order).toEqual(["writer", "reader"]);
    });

    it("serves blocked clients in the order they blocked", async () => {
      // Given
      const writer = fake();
      await writer.xgroup("CREATE", "s", "g", "$", "MKSTREAM");
      const first = connectionOf(writer);
      const second = connectionOf(writer);
      const firstRead = first.xreadgroup(
        "GROUP",
        "g",
        "a",
        "COUNT",
        1,
        "BLOCK",
        0,
        "STREAMS",
        "s",
        ">",
      );
      const secondRead = second.xreadgroup(
        "GROUP",
        "g",
        "b",
        "COUNT",
        1,
        "BLOCK",
        0,
        "STREAMS",
        "s",
        ">",
      );
      // When
      await writer.xadd("s", "1-0", "n", "1");
      await writer.xadd("s", "2-0", "n", "2");
      // Then
      expect(await firstRead).toEqual([["s", [["1-0", ["n", "1"]]]]]);
      expect(await secondRead).toEqual([["s", [["2-0", ["n", "2"]]]]]);
    });

    it("returns null when the block times out", async () => {
      // Given
      const redis = fake();
      // When
      const started = Date.now();
      const result = await redis.xread("BLOCK", 30, "STREAMS", "s", "$");
      // Then
      expect(result).toBeNull();
      expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    });

    it("queues later commands of a blocked connection until it is served", async () => {
      // Given
      const writer = fake();
      const reader = connectionOf(writer);
      await writer.set("k", "before");
      const read = reader.xread("BLOCK", 0, "STREAMS", "s", "$");
      const get = reader.get("k");
      await writer.set("k", "after");
      // When
      await writer.xadd("s", "*", "a", "1");
      // Then
      await read;
      expect(await get).toBe("after");
    });

    it("wakes blocked group readers with errors when the group or the key goes away", async () => {
      // Given
      const writer = fake();
      await writer.xgroup("CREATE", "s", "g", "$", "MKSTREAM");
      await writer.xgroup("CREATE", "t", "g", "$", "MKSTREAM");
      const onGroup = connectionOf(writer).xreadgroup(
        "GROUP",
        "g",
        "c",
        "BLOCK",
        0,
        "STREAMS",
        "s",
        ">",
      );
      const onKey = connectionOf(writer).xreadgroup(
        "GROUP",
        "g",
        "c",
        "BLOCK",
        0,
        "STREAMS",
        "t",
        ">",
      );
      // When
      await writer.xgroup("DESTROY", "s", "g");
      await writer.del("t");
      // Then
      await expect(onGroup).rejects.toThrow(
        "NOGROUP the consumer group this client was blocked on no longer exists",
      );
      await expect(onKey).rejects.toThrow("UNBLOCKED the stream key no longer exists");
    });

    it("serves blocked readers only after EXEC, and never blocks inside MULTI", async () => {
      // Given
      const writer = fake();
      const reader = connectionOf(writer);
      let served = false;
      const read = reader.xread("BLOCK", 0, "STREAMS", "s", "$").then((result) => {
        served = true;
        return result;
      });
      // When
      const transaction = writer.multi().xadd("s", "1-0", "a", "1").xadd("s", "2-0", "a", "2");
      transaction.xread("BLOCK", 0, "STREAMS", "nothing", "$");
      const results = await transaction.exec();
      // Then
      expect(results).toEqual([
        [null, "1-0"],
        [null, "2-0"],
        [null, null],
      ]);
      expect(await read).toEqual([
        [
          "s",
          [
            ["1-0", ["a", "1"]],
            ["2-0", ["a", "2"]],
          ],
        ],
      ]);
      expect(served).toBe(true);
    });

    it("rejects a blocked call with ioredis's closed-connection error on disconnect", async () => {
      // Given
      const redis = fake();
      const read = redis.xread("BLOCK", 0, "STREAMS", "s", "$");
      // When
      redis.disconnect();
      // Then
      await expect(read).rejects.toThrow("Connection is closed.");
      await expect(redis.get("k")).rejects.toThrow("Connection is closed.");
      expect(redis.status).toBe("end");
    });
  });
});
