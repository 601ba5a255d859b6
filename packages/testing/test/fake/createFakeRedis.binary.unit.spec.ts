import { afterEach, describe, expect, it } from "vitest";
import { createFakeRedis, type FakeRedis } from "../../src/index.js";

// Redis strings are byte sequences. Every expectation below is what Redis 7.0.15 returns through
// ioredis 6 for the same calls.

const clients: FakeRedis[] = [];
function fake(options: Parameters<typeof createFakeRedis>[0] = {}): FakeRedis {
  const redis = createFakeRedis(options);
  clients.push(redis);
  return redis;
}
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});

/** Not UTF-8: a NUL, 0xff 0xfe, a lone continuation byte, then "A". */
const BYTES = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x41]);
/** The same bytes as ioredis decodes them into a string. */
const BYTES_AS_TEXT = "\u0000\ufffd\ufffd\ufffdA";
const hex = (value: unknown): unknown =>
  Buffer.isBuffer(value) ? value.toString("hex") : Array.isArray(value) ? value.map(hex) : value;

describe("createFakeRedis", () => {
  describe("binary safety", () => {
    it("keeps the bytes of keys and values; *Buffer replies give them back, plain ones decode UTF-8", async () => {
      // Given
      const redis = fake();
      const key = Buffer.from([0x6b, 0xc3, 0x28]);
      // When
      await redis.set(key, BYTES);
      // Then
      expect(hex(await redis.getBuffer(key))).toBe("00fffe8041");
      expect(await redis.get(key)).toBe(BYTES_AS_TEXT);
      expect(await redis.strlen(key)).toBe(5);
      expect(hex(await redis.keysBuffer("*"))).toEqual(["6bc328"]);
      expect(await redis.keys("*")).toEqual(["k\ufffd("]);
      expect(await redis.type(key)).toBe("string");
    });

    it("stores string arguments as their UTF-8 bytes: STRLEN and APPEND count bytes", async () => {
      // Given
      const redis = fake();
      await redis.set("ü€😀", "héllo €😀");
      // When
      const length = await redis.strlen("ü€😀");
      const appended = await redis.append("ü€😀", BYTES);
      // Then
      expect(length).toBe(14);
      expect(appended).toBe(19);
      expect(hex(await redis.getBuffer("ü€😀"))).toBe("68c3a96c6c6f20e282acf09f988000fffe8041");
    });

    it("keeps the bytes of hash fields and values, stream fields and values, set and zset members", async () => {
      // Given
      const redis = fake();
      // When
      await redis.hset("h", BYTES, BYTES, "é", "ü");
      await redis.xadd("s", "1-0", BYTES, BYTES, "é", "€");
      await redis.zadd("z", 1, BYTES, 2, "é");
      await redis.sadd("st", BYTES, "é");
      // Then
      expect(hex(await redis.hgetBuffer("h", BYTES))).toBe("00fffe8041");
      expect(await redis.hgetall("h")).toEqual({ [BYTES_AS_TEXT]: BYTES_AS_TEXT, é: "ü" });
      expect(hex(await redis.xrangeBuffer("s", "-", "+"))).toEqual([
        ["312d30", ["00fffe8041", "00fffe8041", "c3a9", "e282ac"]],
      ]);
      expect(await redis.xrange("s", "-", "+")).toEqual([
        ["1-0", [BYTES_AS_TEXT, BYTES_AS_TEXT, "é", "€"]],
      ]);
      expect(hex(await redis.xreadBuffer("STREAMS", "s", "0"))).toEqual([
        ["73", [["312d30", ["00fffe8041", "00fffe8041", "c3a9", "e282ac"]]]],
      ]);
      expect(hex(await redis.zrangeBuffer("z", "0", "-1"))).toEqual(["00fffe8041", "c3a9"]);
      expect(hex((await redis.smembersBuffer("st")).sort(Buffer.compare))).toEqual([
        "00fffe8041",
        "c3a9",
      ]);
    });

    it("gives Lua the same bytes, and takes the bytes Lua makes", async () => {
      // Given
      const redis = fake({ scriptTwins: false });
      await redis.set("k", BYTES);
      // When
      const seen = await redis.eval(
        "return {#ARGV[1], #ARGV[2], string.byte(ARGV[1], 2), redis.call('GET', KEYS[1])}",
        1,
        "k",
        BYTES,
        "é",
      );
      const echoed = await redis.callBuffer(
        "EVAL",
        "return {ARGV[1], redis.call('GET', KEYS[1])}",
        "1",
        "k",
        BYTES,
      );
      const made = await redis.eval(
        "redis.call('SET', KEYS[1], string.char(200, 65)); return string.char(255)",
        1,
        "lua",
      );
      // Then
      expect(seen).toEqual([5, 2, 255, BYTES_AS_TEXT]);
      expect(hex(echoed)).toEqual(["00fffe8041", "00fffe8041"]);
      expect(made).toBe("\ufffd");
      expect(hex(await redis.getBuffer("lua"))).toBe("c841");
      expect(await redis.get("lua")).toBe("\ufffdA");
    });

    it("hashes a script's UTF-8 bytes like ioredis, so EVALSHA of a non-ASCII script finds it", async () => {
      // Given
      const redis = fake({ scriptTwins: false }) as FakeRedis & {
        uni(arg: string): Promise<string>;
      };
      redis.defineCommand("uni", { numberOfKeys: 0, lua: "return 'ü' .. ARGV[1]" });
      // When
      const first = await redis.uni("é");
      const second = await redis.uni("é");
      const sha = await redis.eval("return redis.sha1hex(ARGV[1])", 0, BYTES);
      // Then
      expect([first, second]).toEqual(["üé", "üé"]);
      expect(sha).toBe("ad5aa3a7366319a46d098ebbae685efa93e05ac3");
      expect(await redis.eval("return cjson.encode({ARGV[1]})", 0, "é")).toBe('["é"]');
    });

    it("decodes error messages that quote non-ASCII arguments", async () => {
      // Given
      const redis = fake();
      // When
      const error = await redis.call("nocmd€", "é").catch((caught: Error) => caught);
      const scriptError = await redis
        .eval("return redis.error_reply('bad é')", 0)
        .catch((caught: Error) => caught);
      // Then
      expect((error as Error).message).toBe(
        "ERR unknown command 'nocmd€', with args beginning with: 'é' ",
      );
      expect((scriptError as Error).message).toBe("bad é");
    });

    it("seeds non-ASCII data as UTF-8 bytes and keeps bytes across snapshots", async () => {
      // Given
      const redis = fake({ data: { clé: "välue", h: { hash: { fïeld: "€" } } } });
      await redis.set("raw", BYTES);
      // When
      const copy = fake({ snapshot: redis.snapshot() });
      // Then
      expect(await copy.strlen("clé")).toBe(6);
      expect(await copy.get("clé")).toBe("välue");
      expect(await copy.hget("h", "fïeld")).toBe("€");
      expect(hex(await copy.getBuffer("raw"))).toBe("00fffe8041");
    });
  });
});
