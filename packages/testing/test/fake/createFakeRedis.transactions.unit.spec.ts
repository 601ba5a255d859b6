import { afterEach, describe, expect, it } from "vitest";
import { createFakeRedis, type FakeRedis } from "../../src/index.js";

const clients: FakeRedis[] = [];
function fake(): FakeRedis {
  const redis = createFakeRedis();
  clients.push(redis);
  return redis;
}
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});

describe("createFakeRedis", () => {
  describe("MULTI/EXEC", () => {
    it("runs queued commands atomically and applies ioredis reply transformers", async () => {
      // Given
      const redis = fake();
      // When
      const results = await redis.multi().hset("h", "a", "1").hgetall("h").incr("n").exec();
      // Then
      expect(results).toEqual([
        [null, 1],
        [null, { a: "1" }],
        [null, 1],
      ]);
    });

    it("reports runtime errors per command without rolling back the others", async () => {
      // Given
      const redis = fake();
      await redis.set("s", "text");
      // When
      const results = await redis.multi().incr("s").set("t", "1").exec();
      // Then
      expect(results?.[0]?.[0]?.message).toBe("ERR value is not an integer or out of range");
      expect(results?.[1]).toEqual([null, "OK"]);
    });

    it("discards the transaction with EXECABORT when a command fails to queue", async () => {
      // Given
      const redis = fake();
      // When
      const failure = redis.multi().set("a", "1").call("nosuchcommand").exec();
      // Then
      await expect(failure).rejects.toThrow(
        "EXECABORT Transaction discarded because of previous errors.",
      );
      expect(await redis.get("a")).toBeNull();
    });

    it("returns null from EXEC when a watched key changed", async () => {
      // Given
      const redis = fake();
      const other = redis.duplicate() as FakeRedis;
      clients.push(other);
      await redis.watch("k");
      await other.set("k", "changed");
      // When
      const result = await redis.multi().set("k", "mine").exec();
      // Then
      expect(result).toBeNull();
      expect(await redis.get("k")).toBe("changed");
    });

    it("executes when watched keys are untouched and forgets watches after UNWATCH", async () => {
      // Given
      const redis = fake();
      await redis.watch("k");
      await redis.unwatch();
      await redis.set("k", "touched");
      await redis.watch("other");
      // When
      const result = await redis.multi().set("k", "mine").exec();
      // Then
      expect(result).toEqual([[null, "OK"]]);
    });
  });

  describe("pipeline", () => {
    it("accepts the chained and the array forms and reports errors per command", async () => {
      // Given
      const redis = fake();
      // When
      const chained = await redis.pipeline().set("a", "1").get("a").exec();
      const array = await redis
        .pipeline([
          ["set", "b", "2"],
          ["incr", "a"],
          ["hget", "a", "f"],
        ])
        .exec();
      // Then
      expect(chained).toEqual([
        [null, "OK"],
        [null, "1"],
      ]);
      expect(array?.slice(0, 2)).toEqual([
        [null, "OK"],
        [null, 2],
      ]);
      expect(array?.[2]?.[0]?.message).toBe(
        "WRONGTYPE Operation against a key holding the wrong kind of value",
      );
    });

    it("sends arbitrary commands with call and send_command", async () => {
      // Given
      const redis = fake();
      // When
      await redis.call("SET", "k", "v");
      // send_command is ioredis's untyped alias of call.
      const sendCommand = (redis as unknown as { send_command: typeof redis.call }).send_command;
      const value = await sendCommand.call(redis, "GET", "k");
      // Then
      expect(value).toBe("v");
      await expect(redis.call("FOO", "a", "b")).rejects.toThrow(
        "ERR unknown command 'FOO', with args beginning with: 'a' 'b' ",
      );
    });
  });
});
