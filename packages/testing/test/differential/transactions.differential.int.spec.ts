import { defineDifferentialSuite } from "./support/defineDifferentialSuite.js";
import { queue } from "./support/send.js";

// MULTI/EXEC, WATCH, pipelines, `call` and the client lifecycle as ioredis presents them
// (https://redis.io/docs/latest/develop/interact/transactions/; ioredis Pipeline/transaction).

defineDifferentialSuite("MULTI/EXEC", {
  "MULTI/EXEC runs queued commands in order and returns [error, reply] pairs": async (
    client,
    ctx,
  ) => {
    const key = ctx.key("s");
    return client
      .multi()
      .xadd(key, "1-0", "a", "1")
      .xadd(key, "*", "a", "2")
      .xlen(key)
      .xrange(key, "-", "+")
      .exec();
  },

  "a command failing at run time inside EXEC does not stop the others": async (client, ctx) => {
    const key = ctx.key("s");
    await client.xadd(key, "5-0", "a", "1");
    const exec = await client
      .multi()
      .xadd(key, "1-0", "a", "stale")
      .set(ctx.key("k"), "written")
      .incr(key)
      .xlen(key)
      .exec();
    return [exec, await client.get(ctx.key("k"))];
  },

  "a command rejected while queueing aborts EXEC with EXECABORT": async (client, ctx) => {
    const key = ctx.key("k");
    const transaction = client.multi().set(key, "1");
    queue(transaction, "xadd", ctx.key("s"), "*", "odd");
    transaction.set(key, "2");
    return [await ctx.attempt(transaction.exec()), await client.get(key)];
  },

  "an unknown command inside MULTI aborts EXEC with EXECABORT": async (client, ctx) => {
    const key = ctx.key("k");
    const transaction = client.multi().set(key, "1");
    transaction.call("NOSUCHCOMMAND", key);
    return [await ctx.attempt(transaction.exec()), await client.exists(key)];
  },

  "WATCH makes EXEC return null when another client changes the key": async (client, ctx) => {
    const key = ctx.key("counter");
    await client.set(key, "1");
    const other = ctx.duplicate();
    await client.watch(key);
    await other.set(key, "changed");
    const exec = await client.multi().set(key, "mine").exec();
    return [exec, await client.get(key)];
  },

  "WATCH lets EXEC run when nobody touched the key": async (client, ctx) => {
    const key = ctx.key("counter");
    await client.set(key, "1");
    await client.watch(key);
    const value = await client.get(key);
    return [
      await client
        .multi()
        .set(key, `${Number(value) + 1}`)
        .exec(),
      await client.get(key),
    ];
  },

  "WATCH on a stream is invalidated by XADD from another client": async (client, ctx) => {
    const key = ctx.key("s");
    await client.xadd(key, "1-0", "a", "1");
    const other = ctx.duplicate();
    await client.watch(key);
    await other.xadd(key, "2-0", "a", "2");
    return [await client.multi().xadd(key, "3-0", "a", "3").exec(), await client.xlen(key)];
  },

  "UNWATCH forgets watched keys": async (client, ctx) => {
    const key = ctx.key("k");
    const other = ctx.duplicate();
    await client.watch(key);
    await client.unwatch();
    await other.set(key, "changed");
    return client.multi().set(key, "mine").get(key).exec();
  },

  "DISCARD drops the queued commands": async (client, ctx) => {
    const key = ctx.key("k");
    const transaction = client.multi().set(key, "1");
    const discarded = await ctx.attempt(transaction.discard().exec());
    return [discarded, await client.exists(key)];
  },

  "MULTI with no commands returns an empty array": async (client) => client.multi().exec(),

  "MULTI/EXEC of XREADGROUP and XACK reads and acknowledges atomically": async (client, ctx) => {
    const key = ctx.key("s");
    await client.xgroup("CREATE", key, "g", "0", "MKSTREAM");
    await client.xadd(key, "1-0", "a", "1");
    const exec = await client
      .multi()
      .xreadgroup("GROUP", "g", "c", "STREAMS", key, ">")
      .xack(key, "g", "1-0")
      .xpending(key, "g")
      .exec();
    return exec;
  },
});

defineDifferentialSuite("pipeline", {
  "a pipeline returns every reply, errors in place, in order": async (client, ctx) => {
    const key = ctx.key("s");
    const pipeline = client.pipeline();
    pipeline.xadd(key, "1-0", "a", "1");
    pipeline.xadd(key, "1-0", "a", "again");
    pipeline.set(ctx.key("k"), "v");
    pipeline.get(key);
    queue(pipeline, "xgroup", "CREATE", key, "g", "$");
    queue(pipeline, "xgroup", "CREATE", key, "g", "$");
    pipeline.xinfo("GROUPS", key);
    return pipeline.exec();
  },

  "a pipeline of many XADD * gives increasing ids": async (client, ctx) => {
    const key = ctx.key("s");
    const pipeline = client.pipeline();
    for (let index = 0; index < 50; index++) pipeline.xadd(key, "*", "n", `${index}`);
    const results = (await pipeline.exec()) ?? [];
    const ids = results.map(([, id]) => id as string);
    const increasing = ids.every((id, index) => {
      if (index === 0) return true;
      const [ms, seq] = id.split("-").map(BigInt);
      const [previousMs, previousSeq] = (ids[index - 1] ?? "0-0").split("-").map(BigInt);
      return (
        (ms ?? 0n) > (previousMs ?? 0n) || (ms === previousMs && (seq ?? 0n) > (previousSeq ?? 0n))
      );
    });
    return { count: ids.length, increasing, length: await client.xlen(key) };
  },

  "an empty pipeline returns an empty array": async (client) => client.pipeline().exec(),

  "call sends raw commands and returns raw replies": async (client, ctx) => {
    const key = ctx.key("s");
    return [
      await client.call("XADD", key, "1-0", "a", "1"),
      await client.call("XRANGE", key, "-", "+"),
      await client.call("XLEN", key),
      await client.call("TYPE", key),
      await client.call("XINFO", "GROUPS", key),
    ];
  },

  // Redis 7 answers XREAD/XREADGROUP over RESP3 with a map; ioredis 6 (RESP3 by default, legacy
  // mapping) flattens maps to [key, value, ...] and only its xread/xreadgroup methods reshape that
  // into [[key, entries]], so `call` sees the flat form.
  "call('XREAD') and call('XREADGROUP') return the flattened RESP3 map, as ioredis 6 does": async (
    client,
    ctx,
  ) => {
    const first = ctx.key("a");
    const second = ctx.key("b");
    await client.xadd(first, "1-0", "f", "1");
    await client.xadd(second, "1-0", "f", "2");
    await client.xgroup("CREATE", first, "g", "0");
    return [
      await client.call("XREAD", "STREAMS", first, second, "0", "0"),
      await client.call("XREAD", "COUNT", 1, "STREAMS", first, "0"),
      await client.call("XREADGROUP", "GROUP", "g", "c", "STREAMS", first, ">"),
      await client.call("XREAD", "STREAMS", first, "$"),
    ];
  },

  "Buffer variants return Buffers with the same bytes": async (client, ctx) => {
    const key = ctx.key("s");
    await client.xadd(key, "1-0", "bin", Buffer.from([0, 255, 10, 13]));
    return [await client.xrangeBuffer(key, "-", "+"), await client.getBuffer(ctx.key("missing"))];
  },
});

defineDifferentialSuite("client lifecycle", {
  "duplicate() gives a second client on the same data": async (client, ctx) => {
    const key = ctx.key("s");
    const other = ctx.duplicate();
    await client.xadd(key, "1-0", "a", "1");
    return [
      await other.xrange(key, "-", "+"),
      await other.xadd(key, "2-0", "b", "2"),
      await client.xlen(key),
    ];
  },

  "quit() resolves OK and the data stays for other clients": async (client, ctx) => {
    const key = ctx.key("k");
    const other = ctx.duplicate();
    await other.set(key, "v");
    const ended = new Promise<void>((resolve) => other.once("end", () => resolve()));
    const quit = await other.quit();
    // Right after quit() resolves, ioredis may still be "ready" until the socket closes: the
    // status is compared once "end" was emitted.
    await ended;
    return [quit, await client.get(key), other.status];
  },

  "a command after quit() is rejected": async (_client, ctx) => {
    const other = ctx.duplicate();
    await other.ping();
    await other.quit();
    return ctx.attempt(other.get(ctx.key("k")));
  },

  "disconnect() ends a client at once and leaves the others working": async (client, ctx) => {
    const key = ctx.key("k");
    const other = ctx.duplicate();
    await other.set(key, "v");
    const ended = new Promise<void>((resolve) => other.once("end", () => resolve()));
    other.disconnect();
    await ended;
    return [await client.get(key), other.status];
  },

  "duplicate({ keyPrefix }) prefixes the keys of stream commands, XREAD replies included": async (
    client,
    ctx,
  ) => {
    const prefixed = client.duplicate({ keyPrefix: ctx.key("ns:") });
    try {
      await prefixed.xadd("orders", "1-0", "type", "placed");
      await prefixed.xgroup("CREATE", "orders", "billing", "0");
      return [
        await prefixed.xread("STREAMS", "orders", "0"),
        await prefixed.xreadgroup("GROUP", "billing", "w", "STREAMS", "orders", ">"),
        await client.xlen(ctx.key("ns:orders")),
        await client.exists(ctx.key("orders")),
      ];
    } finally {
      await prefixed.quit();
    }
  },

  "EXPIRE on a stream with consumer groups removes stream and groups together": async (
    client,
    ctx,
  ) => {
    const key = ctx.key("s");
    await client.xgroup("CREATE", key, "g", "$", "MKSTREAM");
    await client.xadd(key, "1-0", "a", "1");
    await client.pexpire(key, 30);
    await ctx.sleep(100);
    return [
      await client.exists(key),
      await ctx.attempt(client.xreadgroup("GROUP", "g", "c", "STREAMS", key, ">")),
      await client.xgroup("CREATE", key, "g", "$", "MKSTREAM"),
    ];
  },

  "PING and ECHO answer": async (client) => [await client.ping(), await client.echo("hello")],
});
