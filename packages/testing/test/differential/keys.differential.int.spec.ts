import { defineDifferentialSuite } from "./support/defineDifferentialSuite.js";
import { send } from "./support/send.js";

// Strings, hashes and the keyspace (TYPE, EXISTS, DEL, SCAN, expiry) as far as the toolkit and
// its users' code need them next to streams (https://redis.io/commands/).

defineDifferentialSuite("strings", {
  "SET and GET round-trip a value, GET of a missing key is null": async (client, ctx) => {
    const key = ctx.key("k");
    return [
      await client.set(key, "v"),
      await client.get(key),
      await client.get(ctx.key("missing")),
    ];
  },

  "SET NX and XX only write when the key is missing or present": async (client, ctx) => {
    const key = ctx.key("k");
    return [
      await client.set(key, "1", "XX"),
      await client.set(key, "1", "NX"),
      await client.set(key, "2", "NX"),
      await client.set(key, "3", "XX"),
      await client.get(key),
    ];
  },

  "SET GET returns the previous value": async (client, ctx) => {
    const key = ctx.key("k");
    return [
      await send(client, "set", key, "a", "GET"),
      await send(client, "set", key, "b", "GET"),
      await client.get(key),
    ];
  },

  "SET with invalid options is an error": async (client, ctx) => {
    const key = ctx.key("k");
    return [
      await ctx.attempt(send(client, "set", key, "v", "EX", 0)),
      await ctx.attempt(send(client, "set", key, "v", "EX", "x")),
      await ctx.attempt(send(client, "set", key, "v", "NX", "XX")),
      await ctx.attempt(send(client, "set", key, "v", "FOO")),
      await client.exists(key),
    ];
  },

  "INCR, INCRBY and DECR count, and reject non-integers and overflow": async (client, ctx) => {
    const key = ctx.key("counter");
    const text = ctx.key("text");
    const big = ctx.key("big");
    await client.set(text, "abc");
    await client.set(big, "9223372036854775807");
    return [
      await client.incr(key),
      await client.incrby(key, 41),
      await client.decr(key),
      await client.get(key),
      await ctx.attempt(client.incr(text)),
      await ctx.attempt(client.incr(big)),
      await ctx.attempt(send(client, "incrby", key, "1.5")),
    ];
  },

  "MSET, MGET, APPEND, STRLEN and SETNX behave like Redis": async (client, ctx) => {
    const first = ctx.key("a");
    const second = ctx.key("b");
    return [
      await client.mset(first, "1", second, "2"),
      await client.mget(first, ctx.key("missing"), second),
      await client.append(first, "23"),
      await client.strlen(first),
      await client.strlen(ctx.key("missing")),
      await client.setnx(first, "x"),
      await client.setnx(ctx.key("c"), "x"),
    ];
  },

  "GETDEL returns the value and removes the key": async (client, ctx) => {
    const key = ctx.key("k");
    await client.set(key, "v");
    return [await client.getdel(key), await client.exists(key), await client.getdel(key)];
  },

  // Redis strings are binary safe (https://redis.io/docs/latest/develop/data-types/strings/):
  // bytes that are not UTF-8 must come back unchanged, and STRLEN counts bytes.
  "SET and HSET keep bytes that are not UTF-8, and STRLEN counts bytes": async (client, ctx) => {
    const key = ctx.key("bin");
    const hash = ctx.key("h");
    const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x41]);
    await client.set(key, bytes);
    await client.hset(hash, "f", bytes);
    return [
      await client.getBuffer(key),
      await client.strlen(key),
      await client.hgetBuffer(hash, "f"),
      (await client.getBuffer(key))?.equals(bytes),
    ];
  },

  "string commands on a stream are WRONGTYPE errors, and MGET gives null": async (client, ctx) => {
    const key = ctx.key("s");
    await client.xadd(key, "1-0", "a", "1");
    return [
      await ctx.attempt(client.get(key)),
      await ctx.attempt(client.incr(key)),
      await ctx.attempt(client.append(key, "x")),
      await client.mget(key),
      await client.set(key, "overwritten"),
      await client.type(key),
    ];
  },
});

defineDifferentialSuite("hashes", {
  "HSET counts new fields, HGET and HMGET read them": async (client, ctx) => {
    const key = ctx.key("h");
    return [
      await client.hset(key, "a", "1", "b", "2"),
      await client.hset(key, "b", "3", "c", "4"),
      await client.hget(key, "b"),
      await client.hget(key, "zz"),
      await client.hmget(key, "a", "zz", "c"),
      await client.hlen(key),
    ];
  },

  "HGETALL returns an object, empty for a missing key": async (client, ctx) => {
    const key = ctx.key("h");
    await client.hset(key, "x", "1", "y", "2");
    return [await client.hgetall(key), await client.hgetall(ctx.key("missing"))];
  },

  "HDEL, HEXISTS, HKEYS and HVALS keep insertion order of a small hash": async (client, ctx) => {
    const key = ctx.key("h");
    await client.hset(key, "one", "1", "two", "2", "three", "3");
    return [
      await client.hdel(key, "two", "nope"),
      await client.hexists(key, "two"),
      await client.hexists(key, "one"),
      await client.hkeys(key),
      await client.hvals(key),
      await client.hdel(key, "one", "three"),
      await client.exists(key),
    ];
  },

  "HINCRBY adds to an integer field and rejects a non-integer one": async (client, ctx) => {
    const key = ctx.key("h");
    await client.hset(key, "text", "abc");
    return [
      await client.hincrby(key, "n", 5),
      await client.hincrby(key, "n", -2),
      await ctx.attempt(client.hincrby(key, "text", 1)),
      await ctx.attempt(send(client, "hincrby", key, "n", "x")),
    ];
  },

  "HSETNX writes a field only when it is missing": async (client, ctx) => {
    const key = ctx.key("h");
    return [
      await client.hsetnx(key, "f", "1"),
      await client.hsetnx(key, "f", "2"),
      await client.hget(key, "f"),
    ];
  },

  "hash commands on a string and HSET with an odd argument count are errors": async (
    client,
    ctx,
  ) => {
    const key = ctx.key("str");
    await client.set(key, "x");
    return [
      await ctx.attempt(client.hset(key, "f", "v")),
      await ctx.attempt(client.hgetall(key)),
      await ctx.attempt(send(client, "hset", ctx.key("h"), "f")),
      await ctx.attempt(send(client, "hset", ctx.key("h"), "f", "v", "g")),
    ];
  },
});

defineDifferentialSuite("keyspace", {
  "TYPE names each kind of value and none for a missing key": async (client, ctx) => {
    await client.set(ctx.key("str"), "v");
    await client.hset(ctx.key("hash"), "f", "v");
    await client.xadd(ctx.key("stream"), "*", "f", "v");
    return [
      await client.type(ctx.key("str")),
      await client.type(ctx.key("hash")),
      await client.type(ctx.key("stream")),
      await client.type(ctx.key("missing")),
    ];
  },

  "EXISTS counts keys including repeats, DEL counts removed keys": async (client, ctx) => {
    const first = ctx.key("a");
    const second = ctx.key("b");
    await client.set(first, "1");
    await client.xadd(second, "1-0", "f", "v");
    return [
      await client.exists(first, second, first, ctx.key("missing")),
      await client.del(first, second, ctx.key("missing")),
      await client.exists(first, second),
      await client.del(first),
    ];
  },

  "SCAN with MATCH visits every key of the prefix exactly once": async (client, ctx) => {
    const pipeline = client.pipeline();
    for (let index = 0; index < 40; index++) pipeline.set(ctx.key(`k${index}`), `${index}`);
    pipeline.xadd(ctx.key("stream"), "*", "f", "v");
    await pipeline.exec();
    // SCAN's cursor values and page boundaries are Redis internals: only the set of keys and
    // the final cursor 0 are guaranteed.
    const seen: string[] = [];
    let cursor = "0";
    do {
      const [next, keys] = await client.scan(cursor, "MATCH", `${ctx.prefix}*`, "COUNT", 7);
      cursor = next;
      seen.push(...keys);
    } while (cursor !== "0");
    return { count: seen.length, unique: new Set(seen).size, keys: [...new Set(seen)].sort() };
  },

  "SCAN TYPE keeps only keys of that type": async (client, ctx) => {
    await client.set(ctx.key("str"), "v");
    await client.xadd(ctx.key("s1"), "*", "f", "v");
    await client.xadd(ctx.key("s2"), "*", "f", "v");
    await client.hset(ctx.key("h"), "f", "v");
    const seen = new Set<string>();
    let cursor = "0";
    do {
      const [next, keys] = (await send(
        client,
        "scan",
        cursor,
        "MATCH",
        `${ctx.prefix}*`,
        "COUNT",
        1000,
        "TYPE",
        "stream",
      )) as [string, string[]];
      cursor = next;
      for (const key of keys) seen.add(key);
    } while (cursor !== "0");
    return [...seen].sort();
  },

  "SCAN with a malformed cursor or COUNT is an error": async (client, ctx) => [
    await ctx.attempt(client.scan("abc")),
    await ctx.attempt(send(client, "scan", "0", "COUNT", 0)),
  ],

  "EXPIRE, PEXPIRE, TTL, PTTL and PERSIST report and change a key's time to live": async (
    client,
    ctx,
  ) => {
    const key = ctx.key("k");
    await client.set(key, "v");
    const noTtl = await client.ttl(key);
    const expire = await client.expire(key, 100);
    const ttl = await client.ttl(key);
    const pexpire = await client.pexpire(key, 50_000);
    const pttl = await client.pttl(key);
    return {
      noTtl,
      expire,
      // TTL rounds the remaining ms: 100 right after EXPIRE 100, 99 if this machine stalls.
      ttlInRange: ttl === 100 || ttl === 99,
      pexpire,
      pttlInRange: pttl > 49_000 && pttl <= 50_000,
      persist: await client.persist(key),
      persistAgain: await client.persist(key),
      afterPersist: await client.ttl(key),
      missingTtl: await client.ttl(ctx.key("missing")),
      missingPttl: await client.pttl(ctx.key("missing")),
      expireMissing: await client.expire(ctx.key("missing"), 10),
    };
  },

  "SET EX and PX set a time to live and SET without KEEPTTL clears it": async (client, ctx) => {
    const key = ctx.key("k");
    await client.set(key, "v", "EX", 100);
    const ttl = await client.ttl(key);
    const conflicting = await ctx.attempt(send(client, "set", key, "w", "PX", 5_000, "KEEPTTL"));
    await send(client, "set", key, "x", "KEEPTTL");
    const kept = await client.ttl(key);
    await client.set(key, "y");
    return {
      ttlInRange: ttl === 100 || ttl === 99,
      conflicting,
      kept: kept > 0 && kept <= 100,
      cleared: await client.ttl(key),
    };
  },

  "EXPIRE NX, XX, GT and LT only change the time to live when their condition holds": async (
    client,
    ctx,
  ) => {
    const key = ctx.key("k");
    await client.set(key, "v");
    return [
      await send(client, "expire", key, 100, "XX"),
      await send(client, "expire", key, 100, "NX"),
      await send(client, "expire", key, 200, "NX"),
      await send(client, "expire", key, 50, "GT"),
      await send(client, "expire", key, 300, "GT"),
      await send(client, "expire", key, 400, "LT"),
      await send(client, "expire", key, 10, "LT"),
      [9, 10].includes(await client.ttl(key)),
      await ctx.attempt(send(client, "expire", key, 10, "NX", "XX")),
      await ctx.attempt(send(client, "expire", key, "x")),
    ];
  },

  "an expired key is gone for GET, EXISTS, TYPE, XLEN and SCAN": async (client, ctx) => {
    const key = ctx.key("k");
    const stream = ctx.key("s");
    await client.set(key, "v", "PX", 40);
    await client.xadd(stream, "1-0", "f", "v");
    await client.pexpire(stream, 40);
    await ctx.sleep(120);
    const [, keys] = await client.scan("0", "MATCH", `${ctx.prefix}*`, "COUNT", 1000);
    return [
      await client.get(key),
      await client.exists(key, stream),
      await client.type(stream),
      await client.xlen(stream),
      await client.ttl(key),
      keys,
      await client.xadd(stream, "1-0", "f", "fresh"),
    ];
  },

  "EXPIRE with a time in the past deletes the key at once": async (client, ctx) => {
    const key = ctx.key("k");
    await client.set(key, "v");
    return [await client.expire(key, -1), await client.exists(key)];
  },

  "an unknown command or a wrong argument count is an error": async (client, ctx) => {
    return [
      await ctx.attempt(client.call("NOSUCHCOMMAND", "a", "b")),
      await ctx.attempt(client.call("GET")),
      await ctx.attempt(client.call("XLEN", ctx.key("a"), ctx.key("b"))),
    ];
  },
});
