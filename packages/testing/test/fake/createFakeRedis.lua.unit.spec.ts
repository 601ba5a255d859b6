import { createHash } from "node:crypto";
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
const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");

describe("createFakeRedis", () => {
  describe("EVAL", () => {
    it("exposes KEYS and ARGV and runs redis.call", async () => {
      // Given
      const redis = fake();
      // When
      const result = await redis.eval(
        "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('GET', KEYS[1])",
        1,
        "k",
        "v",
      );
      // Then
      expect(result).toBe("v");
    });

    it("converts Lua values to replies as Redis does", async () => {
      // Given
      const redis = fake();
      // When
      const array = await redis.eval("return {1, 'two', 3.99, true, false, nil, 'after nil'}", 0);
      const status = await redis.eval("return {ok = 'DONE'}", 0);
      const falsy = await redis.eval("return false", 0);
      const truthy = await redis.eval("return true", 0);
      const nested = await redis.eval("return {{1, {ok='x'}}, redis.status_reply('y')}", 0);
      // Then
      expect(array).toEqual([1, "two", 3, 1, null]);
      expect(status).toBe("DONE");
      expect(falsy).toBeNull();
      expect(truthy).toBe(1);
      expect(nested).toEqual([[1, "x"], "y"]);
    });

    it("converts replies to Lua values as Redis does: nil bulk is false, status is {ok=}", async () => {
      // Given
      const redis = fake();
      // When
      const result = await redis.eval(
        `local missing = redis.call('GET', 'nokey')
         local status = redis.call('SET', 'k', '1')
         local number = redis.call('INCR', 'k')
         return {tostring(missing), type(status), status.ok, tostring(number)}`,
        0,
      );
      // Then
      expect(result).toEqual(["false", "table", "OK", "2"]);
    });

    it("passes Lua numbers to commands the way Lua 5.1 formats them", async () => {
      // Given
      const redis = fake();
      // When
      await redis.eval(
        "redis.call('SET', 'a', 3.0); redis.call('SET', 'b', 0.1); redis.call('SET', 'c', 7)",
        0,
      );
      // Then
      expect(await redis.mget("a", "b", "c")).toEqual(["3", "0.10000000000000001", "7"]);
    });

    it("formats errors raised by redis.call with the script sha and line", async () => {
      // Given
      const redis = fake();
      await redis.set("s", "text");
      const script = "local x = 1\nreturn redis.call('INCR', 's')";
      // When
      const failure = redis.eval(script, 0);
      // Then
      await expect(failure).rejects.toThrow(
        `ERR value is not an integer or out of range script: ${sha1(script)}, on @user_script:2.`,
      );
    });

    it("returns error tables from redis.pcall and error replies from redis.error_reply", async () => {
      // Given
      const redis = fake();
      await redis.set("s", "text");
      // When
      const caught = await redis.eval("local e = redis.pcall('INCR', 's'); return e.err", 0);
      const custom = redis.eval("return redis.error_reply('MYCODE something broke')", 0);
      // Then
      expect(caught).toBe("ERR value is not an integer or out of range");
      await expect(custom).rejects.toThrow("MYCODE something broke");
    });

    it("reports runtime, global-protection and compile errors like Redis 7.0", async () => {
      // Given
      const redis = fake();
      const undefinedGlobal = "return undefined_thing";
      // When / Then
      await expect(redis.eval(undefinedGlobal, 0)).rejects.toThrow(
        `ERR user_script:1: Script attempted to access nonexistent global variable 'undefined_thing' script: ${sha1(undefinedGlobal)}, on @user_script:1.`,
      );
      await expect(redis.eval("newglobal = 1", 0)).rejects.toThrow(
        "ERR user_script:1: Attempt to modify a readonly table",
      );
      await expect(redis.eval("error('boom')", 0)).rejects.toThrow("ERR user_script:1: boom");
      await expect(redis.eval("return (", 0)).rejects.toThrow(
        "ERR Error compiling script (new function): user_script:1:",
      );
      await expect(redis.eval("return redis.call('nosuch')", 0)).rejects.toThrow(
        "ERR Unknown Redis command called from script",
      );
      await expect(redis.eval("return 1", 2, "only-one-key")).rejects.toThrow(
        "ERR Number of keys can't be greater than number of args",
      );
    });

    it("strips a #!lua shebang and refuses writes in no-writes scripts", async () => {
      // Given
      const redis = fake();
      // When
      const ok = await redis.eval(
        "#!lua flags=no-writes,allow-oom\nreturn redis.call('GET', 'k')",
        0,
      );
      const failure = redis.eval("#!lua flags=no-writes\nreturn redis.call('SET', 'k', 'v')", 0);
      // Then
      expect(ok).toBeNull();
      await expect(failure).rejects.toThrow(
        "ERR Write commands are not allowed from read-only scripts.",
      );
    });

    it("refuses EVAL_RO of a shebang script that may write before running it, and a plain script's writes at the call", async () => {
      // Given
      const redis = fake();
      const declared = "#!lua\nreturn redis.call('GET', 'k')";
      const plain = "return redis.call('SET', 'k', 'v')";
      // When
      const refused = redis.eval_ro(declared, 0);
      const plainWrite = redis.eval_ro(plain, 0);
      const readOnly = await redis.eval_ro(
        "#!lua flags=no-writes\nreturn redis.call('GET', 'k')",
        0,
      );
      // Then: Redis 7.0.15's answers
      await expect(refused).rejects.toThrow(
        /^ERR Can not execute a script with write flag using \*_ro command\.$/,
      );
      await expect(plainWrite).rejects.toThrow(
        `ERR Write commands are not allowed from read-only scripts. script: ${sha1(plain)}, on @user_script:1.`,
      );
      expect(readOnly).toBeNull();
      expect(await redis.exists("k")).toBe(0);
    });

    it("computes with doubles as Lua 5.1 does: tonumber and math.max/min never wrap at 2^31", async () => {
      // Given
      const redis = fake();
      // When: fengari reads 2147483647 as a 32-bit integer, whose + 1 wraps to -2^31
      const fromText = await redis.eval("return tonumber(ARGV[1]) + 1", 0, "2147483647");
      const fromMax = await redis.eval("return math.max(2147483647, 1) + 1", 0);
      const fromMin = await redis.eval("return math.min(ARGV[1], 3)", 0, "2");
      const big = await redis.eval("return tostring(tonumber(ARGV[1]))", 0, "4294967297");
      // Then: Redis 7.0.15's answers
      expect([fromText, fromMax, fromMin, big]).toEqual([2147483648, 2147483648, 2, "4294967297"]);
      const missing = "return math.min(1, nil)";
      await expect(redis.eval(missing, 0)).rejects.toThrow(
        `ERR user_script:1: bad argument #2 to 'min' (number expected, got nil) script: ${sha1(missing)}, on @user_script:1.`,
      );
      await expect(redis.eval("return math.max()", 0)).rejects.toThrow(
        "ERR user_script:1: bad argument #1 to 'max' (number expected, got no value)",
      );
    });

    it("runs Lua 5.1's string.char: C casts of its arguments, 'invalid value' for a non-byte", async () => {
      // Given
      const redis = fake();
      const nested =
        "local function f(n) return string.char(math.floor(n / 65536), 1, 2) end\nreturn f(100000000)";
      // When
      const cast = await redis.callBuffer(
        "EVAL",
        "return string.char(65.7, '66', 2^32 + 67, 0/0)",
        0,
      );
      const tooBig = redis.eval(nested, 0);
      const aliased = redis.eval("local c = string.char; return c(-1)", 0);
      const notNumber = redis.eval("return string.char('x')", 0);
      // Then: Redis 7.0.15's answers (fengari's own string.char failed with a garbled error)
      expect((cast as Buffer).toString("hex")).toBe("41424300");
      await expect(tooBig).rejects.toThrow(
        `ERR user_script:1: bad argument #1 to 'char' (invalid value) script: ${sha1(nested)}, on @user_script:1.`,
      );
      await expect(aliased).rejects.toThrow(
        "ERR user_script:1: bad argument #1 to 'c' (invalid value)",
      );
      await expect(notNumber).rejects.toThrow(
        "ERR user_script:1: bad argument #1 to 'char' (number expected, got string)",
      );
    });

    it("provides cjson, unpack, redis.sha1hex, redis.log and the log levels", async () => {
      // Given
      const redis = fake();
      // When
      const result = await redis.eval(
        `redis.log(redis.LOG_WARNING, 'hello')
         local decoded = cjson.decode(ARGV[1])
         return {cjson.encode({list = {1, 2}}), decoded.name, unpack({'a', 'b'}), redis.sha1hex('')}`,
        0,
        '{"name":"ada"}',
      );
      // Then
      expect(result).toEqual([
        '{"list":[1,2]}',
        "ada",
        "a",
        "da39a3ee5e6b4b0d3255bfef95601890afd80709",
      ]);
    });
  });

  describe("struct", () => {
    it("packs and unpacks integers as Redis 7.0's struct library does", async () => {
      // Given
      const redis = fake();
      // When
      const run = (script: string) =>
        redis.callBuffer("EVAL", script, 0).then(
          (reply) => reply,
          (error: Error) => error.message.replace(/ script: \w+, on @user_script:1\./, ""),
        );
      const replies = [
        await run('return {struct.unpack(">I6I6", struct.pack(">I6I6", 1796232544319, 5))}'),
        await run('return struct.pack(">I6I6", 1796232544319, 5)'),
        await run('return struct.pack("<i2B", -2, 255)'),
        await run('return {struct.unpack("<i2B", struct.pack("<i2B", -2, 255))}'),
        await run('return struct.size(">I6I6")'),
        await run('return struct.pack(">I6", 281474976710656 + 7)'),
        await run('return {struct.unpack(">I6", "abc")}'),
      ];
      // Then: the replies of Redis 7.0.15 to the same scripts
      expect(
        replies.map((reply) => (Buffer.isBuffer(reply) ? reply.toString("hex") : reply)),
      ).toEqual([
        [1796232544319, 5, 13],
        "01a237cd803f000000000005",
        "feffff",
        [-2, 255, 4],
        12,
        "000000000007",
        "ERR user_script:1: bad argument #2 to 'unpack' (data string too short)",
      ]);
    });
  });

  describe("script cache", () => {
    it("loads, checks, runs by sha and flushes scripts", async () => {
      // Given
      const redis = fake();
      const sha = (await redis.script("LOAD", "return 'cached'")) as string;
      // When
      const exists = await redis.script("EXISTS", sha, "0000000000000000000000000000000000000000");
      const result = await redis.evalsha(sha, 0);
      await redis.script("FLUSH");
      // Then
      expect(sha).toBe(sha1("return 'cached'"));
      expect(exists).toEqual([1, 0]);
      expect(result).toBe("cached");
      await expect(redis.evalsha(sha, 0)).rejects.toThrow(
        "NOSCRIPT No matching script. Please use EVAL.",
      );
    });

    it("runs defineCommand scripts, falling back from EVALSHA like ioredis", async () => {
      // Given
      const redis = fake();
      redis.defineCommand("appendCounted", {
        numberOfKeys: 2,
        lua: `local n = redis.call('INCR', KEYS[1])
              redis.call('XADD', KEYS[2], n .. '-1', 'v', ARGV[1])
              return n`,
      });
      const typed = redis as FakeRedis & {
        appendCounted(counter: string, stream: string, value: string): Promise<number>;
      };
      // When
      const first = await typed.appendCounted("c", "s", "a");
      await redis.script("FLUSH");
      const second = await typed.appendCounted("c", "s", "b");
      // Then
      expect([first, second]).toEqual([1, 2]);
      expect(await redis.xrange("s", "-", "+")).toEqual([
        ["1-1", ["v", "a"]],
        ["2-1", ["v", "b"]],
      ]);
    });

    it("runs a script atomically: blocked readers see its writes only after it returns", async () => {
      // Given
      const redis = fake();
      const reader = redis.duplicate() as FakeRedis;
      clients.push(reader);
      const read = reader.xread("BLOCK", 0, "STREAMS", "s", "$");
      // When
      await redis.eval(
        "redis.call('XADD', 's', '1-0', 'a', '1'); redis.call('XADD', 's', '2-0', 'a', '2')",
        0,
      );
      // Then
      expect(await read).toEqual([
        [
          "s",
          [
            ["1-0", ["a", "1"]],
            ["2-0", ["a", "2"]],
          ],
        ],
      ]);
    });
  });
});
