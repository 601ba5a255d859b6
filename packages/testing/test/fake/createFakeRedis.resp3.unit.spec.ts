import { afterEach, describe, expect, it } from "vitest";
import { createFakeRedis, createManualClock, type FakeRedis } from "../../src/index.js";

// ioredis 6 speaks RESP3 with the "legacy" reply mapping: a map reply arrives as a flat key/value
// array, and only the methods whose transformer reshapes it (xread, xreadgroup, zrange...) give the
// RESP2 shape back. Every expectation below is what Redis 7.0.15 returns through ioredis 6.

const clients: FakeRedis[] = [];
function fake(): FakeRedis {
  const redis = createFakeRedis({ clock: createManualClock(1_000) });
  clients.push(redis);
  return redis;
}
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});

async function givenStreams(redis: FakeRedis): Promise<void> {
  await redis.xadd("a", "1-0", "f", "1");
  await redis.xadd("b", "1-0", "g", "1");
  await redis.zadd("z", 1, "x", 2.5, "y");
}

describe("createFakeRedis", () => {
  describe("RESP3 reply shapes (ioredis 6, legacy mapping)", () => {
    it("call('XREAD') returns the flattened map, xread() the [key, entries] pairs", async () => {
      // Given
      const redis = fake();
      await givenStreams(redis);
      // When
      const raw = await redis.call("XREAD", "STREAMS", "a", "b", "0", "0");
      const lowerCase = await redis.call("xread", "STREAMS", "a", "0");
      const method = await redis.xread("STREAMS", "a", "b", "0", "0");
      // Then
      expect(raw).toEqual(["a", [["1-0", ["f", "1"]]], "b", [["1-0", ["g", "1"]]]]);
      // call() with the lower-case name runs ioredis's xread transformer, as on a real connection
      expect(lowerCase).toEqual([["a", [["1-0", ["f", "1"]]]]]);
      expect(method).toEqual([
        ["a", [["1-0", ["f", "1"]]]],
        ["b", [["1-0", ["g", "1"]]]],
      ]);
    });

    it("call('XREADGROUP') returns the flattened map, xreadgroup() and xreadBuffer() the pairs", async () => {
      // Given
      const redis = fake();
      await givenStreams(redis);
      await redis.xgroup("CREATE", "a", "g", "0");
      // When
      const raw = await redis.call("XREADGROUP", "GROUP", "g", "c", "STREAMS", "a", ">");
      const method = await redis.xreadgroup("GROUP", "g", "c", "STREAMS", "a", "0");
      const buffers = await redis.xreadBuffer("STREAMS", "a", "0");
      const rawBuffers = await redis.callBuffer("XREAD", "STREAMS", "a", "0");
      // Then
      expect(raw).toEqual(["a", [["1-0", ["f", "1"]]]]);
      expect(method).toEqual([["a", [["1-0", ["f", "1"]]]]]);
      expect(buffers).toEqual([
        [Buffer.from("a"), [[Buffer.from("1-0"), [Buffer.from("f"), Buffer.from("1")]]]],
      ]);
      expect(rawBuffers).toEqual([
        Buffer.from("a"),
        [[Buffer.from("1-0"), [Buffer.from("f"), Buffer.from("1")]]],
      ]);
    });

    it("a blocked XREAD woken by a write gets the same shape as an immediate one", async () => {
      // Given
      const redis = fake();
      await givenStreams(redis);
      const viaCall = redis.duplicate().call("XREAD", "BLOCK", "0", "STREAMS", "a", "$");
      const viaMethod = redis.duplicate().xread("BLOCK", 0, "STREAMS", "b", "$");
      await new Promise((resolve) => setImmediate(resolve));
      // When
      await redis.xadd("a", "5-0", "f", "5");
      await redis.xadd("b", "5-0", "f", "5");
      // Then
      expect(await viaCall).toEqual(["a", [["5-0", ["f", "5"]]]]);
      expect(await viaMethod).toEqual([["b", [["5-0", ["f", "5"]]]]]);
    });

    it("ZRANGE WITHSCORES: call() gets [member, score] pairs, zrange() the flat RESP2 list", async () => {
      // Given
      const redis = fake();
      await givenStreams(redis);
      // When
      const raw = await redis.call("ZRANGE", "z", "0", "-1", "WITHSCORES");
      const method = await redis.zrange("z", "0", "-1", "WITHSCORES");
      const plain = await redis.call("ZRANGE", "z", "0", "-1");
      // Then
      expect(raw).toEqual([
        ["x", "1"],
        ["y", "2.5"],
      ]);
      expect(method).toEqual(["x", "1", "y", "2.5"]);
      expect(plain).toEqual(["x", "y"]);
    });

    it("MULTI/EXEC and pipelines reshape per command, like Redis's EXEC reply through ioredis", async () => {
      // Given
      const redis = fake();
      await givenStreams(redis);
      // When
      const exec = await redis
        .multi()
        .xread("STREAMS", "a", "0")
        .zrange("z", "0", "-1", "WITHSCORES")
        .call("XREAD", "STREAMS", "a", "0")
        .call("ZRANGE", "z", "0", "-1", "WITHSCORES")
        .exec();
      const pipeline = await redis
        .pipeline()
        .xread("STREAMS", "a", "0")
        .call("XREAD", "STREAMS", "a", "0")
        .exec();
      // Then
      expect(exec).toEqual([
        [null, [["a", [["1-0", ["f", "1"]]]]]],
        [null, ["x", "1", "y", "2.5"]],
        [null, ["a", [["1-0", ["f", "1"]]]]],
        [
          null,
          [
            ["x", "1"],
            ["y", "2.5"],
          ],
        ],
      ]);
      expect(pipeline).toEqual([
        [null, [["a", [["1-0", ["f", "1"]]]]]],
        [null, ["a", [["1-0", ["f", "1"]]]]],
      ]);
    });

    it("scripts see RESP2 shapes: redis.call('XREAD') nests pairs, ZRANGE WITHSCORES is flat", async () => {
      // Given
      const redis = fake();
      await givenStreams(redis);
      // When
      const xread = await redis.eval("return redis.call('XREAD', 'STREAMS', KEYS[1], '0')", 1, "a");
      const zrange = await redis.eval(
        "return redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')",
        1,
        "z",
      );
      // Then
      expect(xread).toEqual([["a", [["1-0", ["f", "1"]]]]]);
      expect(zrange).toEqual(["x", "1", "y", "2.5"]);
    });

    it("maps that are flat in RESP2 too (HGETALL, CONFIG GET, XINFO) are unchanged through call()", async () => {
      // Given
      const redis = fake();
      await givenStreams(redis);
      await redis.hset("h", "k1", "v1", "k2", "v2");
      await redis.xgroup("CREATE", "a", "g", "0");
      // When
      const hgetall = await redis.call("HGETALL", "h");
      const config = await redis.call("CONFIG", "GET", "maxmemory");
      const groups = await redis.call("XINFO", "GROUPS", "a");
      // Then
      expect(hgetall).toEqual(["k1", "v1", "k2", "v2"]);
      expect(config).toEqual(["maxmemory", "0"]);
      expect(groups).toEqual([
        [
          "name",
          "g",
          "consumers",
          0,
          "pending",
          0,
          "last-delivered-id",
          "0-0",
          "entries-read",
          null,
          "lag",
          1,
        ],
      ]);
    });
  });
});
