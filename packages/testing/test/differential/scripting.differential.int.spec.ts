import type { Redis } from "ioredis";
import { defineDifferentialSuite } from "./support/defineDifferentialSuite.js";
import { send } from "./support/send.js";

// EVAL, EVALSHA, SCRIPT LOAD/EXISTS and ioredis defineCommand
// (https://redis.io/docs/latest/develop/interact/programmability/lua-api/ and
// .../eval-intro/: Lua 5.1 semantics, Lua ↔ RESP conversion rules, shebang flags).
// Replies are seen through ioredis 6's default RESP3 connection with legacy reply mapping.

function evalScript(client: Redis, script: string, keys: string[] = [], args: string[] = []) {
  return client.eval(script, keys.length, ...keys, ...args);
}

defineDifferentialSuite("Lua scripts", {
  "Lua numbers become integers, truncated toward zero": async (client, ctx) => [
    await evalScript(client, "return 42"),
    await evalScript(client, "return 3.99"),
    await evalScript(client, "return -3.7"),
    await evalScript(client, "return 10/2"),
    await evalScript(client, "return 7/2"),
    await ctx.attempt(evalScript(client, "return 2^53 + 1")),
  ],

  "Lua strings, booleans and nil convert like Redis's conversion table": async (client) => [
    await evalScript(client, "return 'hello'"),
    await evalScript(client, "return ''"),
    await evalScript(client, "return true"),
    await evalScript(client, "return false"),
    await evalScript(client, "return nil"),
  ],

  "Lua tables become arrays, nested, cut at the first nil, hash parts ignored": async (client) => [
    await evalScript(client, "return {1, 'two', {3, {'four'}}, 5.5}"),
    await evalScript(client, "return {1, 2, nil, 4}"),
    await evalScript(client, "return {}"),
    await evalScript(client, "return {a = 1, b = 2}"),
    await evalScript(client, "return {1, true, false, 'x'}"),
  ],

  "a table with ok is a status reply and one with err is an error reply": async (client, ctx) => [
    await evalScript(client, "return {ok = 'FINE'}"),
    await evalScript(client, "return redis.status_reply('ALSO FINE')"),
    await ctx.attempt(evalScript(client, "return {err = 'MYERR something failed'}")),
    await ctx.attempt(evalScript(client, "return redis.error_reply('MYERR via helper')")),
    await ctx.attempt(evalScript(client, "return redis.error_reply('no code here')")),
  ],

  "KEYS and ARGV carry the script's arguments": async (client, ctx) =>
    evalScript(
      client,
      "return {#KEYS, #ARGV, KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3]}",
      [ctx.key("a"), ctx.key("b")],
      ["x", "", "3"],
    ),

  "redis.call replies convert to Lua and back": async (client, ctx) => {
    const key = ctx.key("k");
    const hash = ctx.key("h");
    await client.set(key, "10");
    await client.hset(hash, "f", "v");
    return [
      await evalScript(client, "return redis.call('INCRBY', KEYS[1], 5)", [key]),
      await evalScript(client, "return type(redis.call('INCRBY', KEYS[1], 1))", [key]),
      await evalScript(client, "return redis.call('GET', KEYS[1])", [key]),
      await evalScript(client, "return redis.call('GET', KEYS[1])", [ctx.key("missing")]),
      await evalScript(client, "return tostring(redis.call('GET', KEYS[1]))", [ctx.key("missing")]),
      await evalScript(client, "return redis.call('SET', KEYS[1], 'v')", [key]),
      await evalScript(client, "return type(redis.call('SET', KEYS[1], 'v'))", [key]),
      await evalScript(client, "return redis.call('SET', KEYS[1], 'v')['ok']", [key]),
      await evalScript(client, "return redis.call('HGETALL', KEYS[1])", [hash]),
    ];
  },

  "a script appends to and reads a stream": async (client, ctx) => {
    const key = ctx.key("s");
    const script = `
      local first = redis.call('XADD', KEYS[1], '1-1', 'n', ARGV[1])
      local second = redis.call('XADD', KEYS[1], '*', 'n', ARGV[2])
      local range = redis.call('XRANGE', KEYS[1], '-', '+')
      return {first, #range, range[1][2][2], redis.call('XLEN', KEYS[1]), second == range[2][1]}
    `;
    return evalScript(client, script, [key], ["a", "b"]);
  },

  "a redis.call error aborts the script with the command's error": async (client, ctx) => {
    const key = ctx.key("s");
    await client.xadd(key, "5-0", "n", "1");
    return [
      await ctx.attempt(
        evalScript(client, "redis.call('XADD', KEYS[1], '1-0', 'n', '2') return 'not reached'", [
          key,
        ]),
      ),
      await ctx.attempt(evalScript(client, "return redis.call('GET', KEYS[1])", [key])),
      await ctx.attempt(
        evalScript(
          client,
          "redis.call('SET', KEYS[2], 'written') return redis.call('XGROUP', 'CREATE', KEYS[1], 'g', '$') and redis.call('XGROUP', 'CREATE', KEYS[1], 'g', '$')",
          [key, ctx.key("side")],
        ),
      ),
      await client.get(ctx.key("side")),
    ];
  },

  "redis.pcall returns the error as a table the script can inspect": async (client, ctx) => {
    const key = ctx.key("s");
    await client.xadd(key, "5-0", "n", "1");
    return [
      await evalScript(
        client,
        "local r = redis.pcall('XADD', KEYS[1], '1-0', 'n', '2') return {type(r), r['err']}",
        [key],
      ),
      await ctx.attempt(evalScript(client, "return redis.pcall('INCR', KEYS[1])", [key])),
      await evalScript(
        client,
        "local r = redis.pcall('XGROUP', 'CREATE', KEYS[1], 'g', '0', 'MKSTREAM') return r",
        [ctx.key("new")],
      ),
    ];
  },

  "error() in a script and a runtime error are reported with the script location": async (
    client,
    ctx,
  ) => [
    await ctx.attempt(evalScript(client, "error('boom')")),
    await ctx.attempt(evalScript(client, "error({err = 'CUSTOM table error'})")),
    await ctx.attempt(evalScript(client, "local t = nil return t.x")),
  ],

  "calling an unknown command or a command with the wrong arity from a script fails": async (
    client,
    ctx,
  ) => [
    await ctx.attempt(evalScript(client, "return redis.call('NOSUCH')")),
    await ctx.attempt(evalScript(client, "return redis.call('GET')")),
    await ctx.attempt(evalScript(client, "return redis.call()")),
  ],

  "EVAL rejects a bad key count and a script that does not compile": async (client, ctx) => [
    await ctx.attempt(send(client, "eval", "return 1", 2, "onlyone")),
    await ctx.attempt(send(client, "eval", "return 1", -1)),
    await ctx.attempt(send(client, "eval", "return 1", "x")),
    await ctx.attempt(evalScript(client, "return (")),
  ],

  "a script cannot create globals or read undefined ones": async (client, ctx) => [
    await ctx.attempt(evalScript(client, "undefined_global_x = 1 return 1")),
    await ctx.attempt(evalScript(client, "return undefined_global_y")),
  ],

  "scripts run with Lua 5.1 semantics: unpack, number formatting, integer-free arithmetic": async (
    client,
  ) => [
    await evalScript(client, "return {unpack({1, 2, 3})}"),
    await evalScript(client, "return tostring(10/2)"),
    await evalScript(client, "return tostring(7/2)"),
    await evalScript(client, "return string.format('%d-%d', 12, 3)"),
    await evalScript(client, "return tostring(2^63)"),
    await evalScript(client, "return math.floor(7/2)"),
    await evalScript(client, "return tonumber('0x10')"),
  ],

  "XREAD with BLOCK is refused inside a script": async (client, ctx) => [
    await ctx.attempt(
      evalScript(client, "return redis.call('XREAD', 'BLOCK', 1000, 'STREAMS', KEYS[1], '$')", [
        ctx.key("s"),
      ]),
    ),
  ],

  "XREADGROUP in a script sees entries deleted while pending as false fields": async (
    client,
    ctx,
  ) => {
    const key = ctx.key("s");
    await client.xadd(key, "1-0", "a", "1");
    await client.xadd(key, "2-0", "a", "2");
    await client.xgroup("CREATE", key, "g", "0");
    await client.xreadgroup("GROUP", "g", "c", "STREAMS", key, ">");
    await client.xdel(key, "1-0");
    return evalScript(
      client,
      `local reply = redis.call('XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', KEYS[1], '0')
       local entries = reply[1][2]
       return {#entries, type(entries[1][2]), tostring(entries[1][2]), entries[2][2][2], reply}`,
      [key],
    );
  },

  "cjson and redis.sha1hex are available to scripts": async (client) => [
    await evalScript(client, "return cjson.encode({1, 2, 'three'})"),
    await evalScript(client, 'return cjson.decode(\'{"a":[1,2,{"b":"c"}]}\').a[3].b'),
    await evalScript(client, "return redis.sha1hex('abc')"),
  ],

  "a #!lua shebang script runs, and flags=no-writes refuses writes": async (client, ctx) => {
    const key = ctx.key("k");
    await client.set(key, "v");
    return [
      await evalScript(client, "#!lua\nreturn redis.call('GET', KEYS[1])", [key]),
      await evalScript(client, "#!lua flags=no-writes\nreturn redis.call('GET', KEYS[1])", [key]),
      await ctx.attempt(
        evalScript(client, "#!lua flags=no-writes\nreturn redis.call('SET', KEYS[1], 'w')", [key]),
      ),
      await ctx.attempt(evalScript(client, "#!lua flags=bogus\nreturn 1")),
      await ctx.attempt(evalScript(client, "#!python\nreturn 1")),
      await client.get(key),
    ];
  },

  "SCRIPT LOAD returns the SHA1, EVALSHA runs it and SCRIPT EXISTS finds it": async (
    client,
    ctx,
  ) => {
    const script = "return {KEYS[1], ARGV[1]}";
    const sha = (await client.script("LOAD", script)) as string;
    return [
      sha,
      await client.evalsha(sha, 1, ctx.key("k"), "arg"),
      await client.script("EXISTS", sha, "0000000000000000000000000000000000000000"),
      await ctx.attempt(client.evalsha("0000000000000000000000000000000000000000", 0)),
      await ctx.attempt(client.evalsha("not-a-sha", 0)),
    ];
  },

  "defineCommand runs a script through EVALSHA with its declared keys": async (client, ctx) => {
    client.defineCommand("appendIfVersion", {
      numberOfKeys: 1,
      lua: `
        local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
        local version = 0
        if #last > 0 then version = tonumber(string.match(last[1][1], '^(%d+)%-')) end
        if version ~= tonumber(ARGV[1]) then
          return redis.error_reply('CONFLICT expected ' .. ARGV[1] .. ' got ' .. version)
        end
        return redis.call('XADD', KEYS[1], string.format('%d-1', version + 1), 'e', ARGV[2])
      `,
    });
    const command = (client as unknown as Record<string, (...args: string[]) => Promise<unknown>>)
      .appendIfVersion;
    const key = ctx.key("aggregate");
    if (!command) throw new Error("defineCommand did not add the method");
    return [
      await command.call(client, key, "0", "created"),
      await command.call(client, key, "1", "renamed"),
      await ctx.attempt(command.call(client, key, "1", "stale")),
      await client.xrange(key, "-", "+"),
    ];
  },
});
