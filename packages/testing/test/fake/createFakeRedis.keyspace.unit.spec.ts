import { afterEach, describe, expect, it } from "vitest";
import { createFakeRedis, createManualClock, type FakeRedis } from "../../src/index.js";

const clients: FakeRedis[] = [];
function fake(options: Parameters<typeof createFakeRedis>[0] = {}): FakeRedis {
  const redis = createFakeRedis(options);
  clients.push(redis);
  return redis;
}
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});

describe("createFakeRedis", () => {
  describe("strings", () => {
    it("implements SET options NX, XX, GET, PX and KEEPTTL", async () => {
      // Given
      const clock = createManualClock(0);
      const redis = fake({ clock });
      // When
      const created = await redis.set("k", "1", "NX");
      const notCreated = await redis.set("k", "2", "NX");
      const old = await redis.set("k", "3", "GET");
      await redis.set("k", "4", "PX", 100);
      await redis.set("k", "5", "KEEPTTL");
      const missingXx = await redis.set("other", "x", "XX");
      // Then
      expect([created, notCreated, old, missingXx]).toEqual(["OK", null, "1", null]);
      expect(await redis.pttl("k")).toBe(100);
      await expect(redis.set("k", "v", "EX", 0)).rejects.toThrow(
        "ERR invalid expire time in 'set' command",
      );
      await expect(redis.call("SET", "k", "v", "NX", "XX")).rejects.toThrow("ERR syntax error");
    });

    it("increments 64-bit integers and refuses non-integers", async () => {
      // Given
      const redis = fake();
      // When
      await redis.mset({ a: "10", b: "x" });
      // Then
      expect(await redis.incrby("a", 5)).toBe(15);
      expect(await redis.mget("a", "b", "c")).toEqual(["15", "x", null]);
      await expect(redis.incr("b")).rejects.toThrow("ERR value is not an integer or out of range");
      await redis.set("max", "9223372036854775807");
      await expect(redis.incr("max")).rejects.toThrow("ERR increment or decrement would overflow");
    });
    it("answers GETRANGE and SUBSTR as Redis 7.0 clamps their bounds", async () => {
      // Given
      const redis = fake();
      await redis.set("k", "abcdefghijklmnop");
      await redis.hset("h", "f", "v");
      const ranges = [
        [0, -1],
        [-3, -1],
        [-1, -3],
        [5, 2],
        [0, 100],
        [-100, 2],
        [20, 30],
        [3, -100],
        [-100, -100],
        [16, 16],
        [15, 100],
      ] as const;
      // When
      const replies = [];
      for (const [start, end] of ranges) replies.push(await redis.getrange("k", start, end));
      // Then: Redis 7.0.15's answers
      expect(replies).toEqual([
        "abcdefghijklmnop",
        "nop",
        "",
        "",
        "abcdefghijklmnop",
        "abc",
        "",
        "",
        "a",
        "",
        "p",
      ]);
      expect(await redis.getrange("missing", 0, -1)).toBe("");
      expect(await redis.call("SUBSTR", "k", 1, 3)).toBe("bcd");
      await expect(redis.call("GETRANGE", "k", "x", 1)).rejects.toThrow(
        "ERR value is not an integer or out of range",
      );
      await expect(redis.call("GETRANGE", "missing", 0, "9223372036854775808")).rejects.toThrow(
        "ERR value is not an integer or out of range",
      );
      await expect(redis.getrange("h", 0, 1)).rejects.toThrow("WRONGTYPE");
      await expect(redis.call("GETRANGE", "k", 1)).rejects.toThrow(
        "ERR wrong number of arguments for 'getrange' command",
      );
    });
  });

  describe("hashes, sets and sorted sets", () => {
    it("answers hash commands with ioredis's shapes", async () => {
      // Given
      const redis = fake();
      // When
      await redis.hset("h", { a: "1", b: "2" });
      await redis.hsetnx("h", "a", "ignored");
      // Then
      expect(await redis.hgetall("h")).toEqual({ a: "1", b: "2" });
      expect(await redis.hmget("h", "a", "zz")).toEqual(["1", null]);
      expect(await redis.hincrby("h", "a", 4)).toBe(5);
      expect([await redis.hlen("h"), await redis.hexists("h", "b")]).toEqual([2, 1]);
      expect([await redis.hkeys("h"), await redis.hvals("h")]).toEqual([
        ["a", "b"],
        ["5", "2"],
      ]);
      expect(await redis.hdel("h", "a", "b")).toBe(2);
      expect(await redis.exists("h")).toBe(0);
      expect(await redis.hgetall("h")).toEqual({});
    });

    it("returns integer set members sorted as an intset does", async () => {
      // Given
      const redis = fake();
      // When
      await redis.sadd("ints", "10", "2", "-3");
      await redis.sadd("words", "b", "a");
      // Then
      expect(await redis.smembers("ints")).toEqual(["-3", "2", "10"]);
      expect((await redis.smembers("words")).sort()).toEqual(["a", "b"]);
      expect([await redis.sismember("ints", "2"), await redis.scard("ints")]).toEqual([1, 3]);
      expect(await redis.srem("ints", "2", "nope")).toBe(1);
    });

    it("orders sorted sets by score then member and prints scores as Redis 7.0 does", async () => {
      // Given
      const redis = fake();
      // When
      await redis.zadd("z", 2, "b", 1, "a", 1.1, "c");
      // Then
      expect(await redis.zrange("z", "0", "-1")).toEqual(["a", "c", "b"]);
      expect(await redis.zrange("z", "0", "0", "WITHSCORES")).toEqual(["a", "1"]);
      expect(await redis.zscore("z", "c")).toBe("1.1000000000000001");
      expect([await redis.zcard("z"), await redis.zrem("z", "a")]).toEqual([3, 1]);
    });
  });

  describe("keys and expiry", () => {
    it("expires keys by the fake clock and reports TTLs", async () => {
      // Given
      const clock = createManualClock(0);
      const redis = fake({ clock });
      await redis.set("k", "v");
      // When
      await redis.expire("k", 10);
      const ttl = await redis.ttl("k");
      clock.advance(9_999);
      const stillThere = await redis.get("k");
      clock.advance(1);
      // Then
      expect(ttl).toBe(10);
      expect(stillThere).toBe("v");
      expect(await redis.get("k")).toBeNull();
      expect(await redis.ttl("k")).toBe(-2);
    });

    it("persists, renames and reports types", async () => {
      // Given
      const redis = fake();
      await redis.set("a", "1");
      await redis.pexpire("a", 5_000);
      // When
      await redis.persist("a");
      await redis.rename("a", "b");
      // Then
      expect(await redis.ttl("b")).toBe(-1);
      expect([await redis.type("b"), await redis.type("none")]).toEqual(["string", "none"]);
      await expect(redis.rename("missing", "x")).rejects.toThrow("ERR no such key");
    });

    it("lists keys with KEYS and a full SCAN with MATCH, COUNT and TYPE", async () => {
      // Given
      const redis = fake();
      for (let index = 0; index < 25; index++) await redis.set(`user:${index}`, "x");
      await redis.xadd("events", "*", "a", "1");
      // When
      const found: string[] = [];
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", "user:*", "COUNT", 7);
        found.push(...keys);
        cursor = next;
      } while (cursor !== "0");
      const streams = await redis.scan("0", "COUNT", 100, "TYPE", "stream");
      // Then
      expect(found).toHaveLength(25);
      expect(streams).toEqual(["0", ["events"]]);
      expect((await redis.keys("user:1*")).sort()).toEqual([
        "user:1",
        "user:10",
        "user:11",
        "user:12",
        "user:13",
        "user:14",
        "user:15",
        "user:16",
        "user:17",
        "user:18",
        "user:19",
      ]);
      expect(await redis.dbsize()).toBe(26);
      expect(await redis.del("user:1", "user:2", "nope")).toBe(2);
    });
  });

  describe("server commands", () => {
    it("answers PING, ECHO, TIME, INFO, CONFIG GET, DBSIZE and WAIT", async () => {
      // Given
      const redis = fake({ clock: createManualClock(1_700_000_000_123) });
      // When
      const info = await redis.info();
      const persistence = await redis.info("persistence");
      const config = await redis.config("GET", "app*");
      const save = await redis.config("GET", "save");
      // Then
      expect(await redis.ping()).toBe("PONG");
      expect(await redis.echo("hi")).toBe("hi");
      expect(await redis.time()).toEqual(["1700000000", "123000"]);
      expect(info).toContain("redis_version:7.0.15");
      expect(persistence).toContain("aof_enabled:0");
      expect(config).toEqual(["appendonly", "no", "appendfsync", "everysec"]);
      expect(save).toEqual(["save", ""]);
      expect(await redis.wait(1, 0)).toBe(0);
      expect(await redis.memory("USAGE", "nothing")).toBeNull();
    });

    it("keeps connection state per client and data per database", async () => {
      // Given
      const redis = fake();
      const other = redis.duplicate() as FakeRedis;
      clients.push(other);
      // When
      await redis.client("SETNAME", "first");
      await other.select(1);
      await other.set("k", "db1");
      // Then
      expect(await redis.client("GETNAME")).toBe("first");
      expect(await other.client("GETNAME")).toBeNull();
      expect(await redis.client("ID")).not.toBe(await other.client("ID"));
      expect(await redis.get("k")).toBeNull();
      expect(await other.get("k")).toBe("db1");
      await expect(redis.select(99)).rejects.toThrow("ERR DB index is out of range");
    });

    it("flushes databases", async () => {
      // Given
      const redis = fake();
      await redis.set("a", "1");
      // When
      await redis.flushall();
      // Then
      expect(await redis.dbsize()).toBe(0);
    });
  });

  describe("client lifecycle and options", () => {
    it("emits connect and ready asynchronously, and close and end after quit", async () => {
      // Given
      const redis = fake();
      const events: string[] = [];
      for (const event of ["connect", "ready", "close", "end"]) {
        redis.on(event, () => events.push(event));
      }
      expect(redis.status).toBe("connecting");
      await new Promise((resolve) => redis.once("ready", resolve));
      // When
      const reply = await redis.quit();
      await new Promise((resolve) => setImmediate(resolve));
      // Then
      expect(reply).toBe("OK");
      expect(redis.status).toBe("end");
      expect(events).toEqual(["connect", "ready", "close", "end"]);
      expect(redis.isCluster).toBe(false);
      await expect(redis.get("k")).rejects.toThrow("Connection is closed.");
    });

    it("reconnects with connect() after disconnect and honours lazyConnect", async () => {
      // Given
      const redis = fake({ lazyConnect: true });
      expect(redis.status).toBe("wait");
      await redis.connect();
      redis.disconnect();
      // When
      await redis.connect();
      // Then
      expect(redis.status).toBe("ready");
      expect(await redis.ping()).toBe("PONG");
    });

    it("prefixes keys with keyPrefix like ioredis", async () => {
      // Given
      const redis = fake();
      const prefixed = redis.duplicate({ keyPrefix: "app:" }) as FakeRedis;
      clients.push(prefixed);
      // When
      await prefixed.set("k", "v");
      await prefixed.xadd("s", "*", "a", "1");
      // Then
      expect(await redis.get("app:k")).toBe("v");
      expect(await redis.xlen("app:s")).toBe(1);
    });
  });

  describe("snapshots and seed data", () => {
    it("starts from seed data and from a deep-copied snapshot with groups and PELs", async () => {
      // Given
      const redis = fake({
        data: {
          greeting: "hello",
          user: { hash: { name: "Ada" } },
          events: {
            stream: [
              ["1-1", { type: "created" }],
              ["2-1", { type: "renamed" }],
            ],
          },
        },
      });
      await redis.xgroup("CREATE", "events", "g", "0");
      await redis.xreadgroup("GROUP", "g", "c", "COUNT", 1, "STREAMS", "events", ">");
      const snapshot = redis.snapshot();
      // When
      const copy = fake({ snapshot });
      await redis.xack("events", "g", "1-1");
      await redis.del("greeting");
      // Then
      expect(await copy.get("greeting")).toBe("hello");
      expect(await copy.hgetall("user")).toEqual({ name: "Ada" });
      expect(await copy.xpending("events", "g")).toEqual([1, "1-1", "1-1", [["c", "1"]]]);
      expect(await copy.xreadgroup("GROUP", "g", "c", "STREAMS", "events", ">")).toEqual([
        ["events", [["2-1", ["type", "renamed"]]]],
      ]);
      redis.restoreSnapshot(snapshot);
      expect(await redis.get("greeting")).toBe("hello");
      expect((await redis.xpending("events", "g"))[0]).toBe(1);
    });
  });
});
