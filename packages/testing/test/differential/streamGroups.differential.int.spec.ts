import { defineDifferentialSuite } from "./support/defineDifferentialSuite.js";
import { seedStream } from "./support/seedStream.js";
import { send } from "./support/send.js";

// XGROUP, XREADGROUP and XACK (Redis 7.0 src/t_stream.c: xgroupCommand, xreadCommand with
// GROUP, xackCommand; https://redis.io/docs/latest/develop/data-types/streams/).

defineDifferentialSuite("XGROUP", {
  "XGROUP CREATE on a missing key without MKSTREAM is an error": async (client, ctx) => {
    const key = ctx.key("s");
    return [await ctx.attempt(client.xgroup("CREATE", key, "g", "0")), await client.exists(key)];
  },

  "XGROUP CREATE MKSTREAM creates an empty stream with the group": async (client, ctx) => {
    const key = ctx.key("s");
    return [
      await client.xgroup("CREATE", key, "g", "$", "MKSTREAM"),
      await client.type(key),
      await client.xlen(key),
      await client.xinfo("GROUPS", key),
    ];
  },

  "XGROUP CREATE twice is a BUSYGROUP error": async (client, ctx) => {
    const key = ctx.key("s");
    await client.xgroup("CREATE", key, "g", "0", "MKSTREAM");
    return [
      await ctx.attempt(client.xgroup("CREATE", key, "g", "0")),
      await ctx.attempt(client.xgroup("CREATE", key, "g", "$", "MKSTREAM")),
    ];
  },

  "XGROUP CREATE at $ delivers only entries added afterwards": async (client, ctx) => {
    const key = ctx.key("s");
    await seedStream(client, key, 3);
    await client.xgroup("CREATE", key, "g", "$");
    const before = await client.xreadgroup("GROUP", "g", "c", "STREAMS", key, ">");
    await client.xadd(key, "4-0", "n", "4");
    return [before, await client.xreadgroup("GROUP", "g", "c", "STREAMS", key, ">")];
  },

  "XGROUP CREATE at an id delivers the entries after it": async (client, ctx) => {
    const key = ctx.key("s");
    await seedStream(client, key, 4);
    await client.xgroup("CREATE", key, "g", "2-0");
    return client.xreadgroup("GROUP", "g", "c", "STREAMS", key, ">");
  },

  "XGROUP CREATE ENTRIESREAD sets the group's entries-read and lag": async (client, ctx) => {
    const key = ctx.key("s");
    await seedStream(client, key, 5);
    await send(client, "xgroup", "CREATE", key, "g1", "2-0", "ENTRIESREAD", 2);
    await send(client, "xgroup", "CREATE", key, "g2", "0", "ENTRIESREAD", 0);
    await client.xgroup("CREATE", key, "g3", "3-0");
    return client.xinfo("GROUPS", key);
  },

  "XGROUP CREATE rejects an invalid id, a bad ENTRIESREAD and unknown options": async (
    client,
    ctx,
  ) => {
    const key = ctx.key("s");
    await seedStream(client, key, 2);
    return [
      await ctx.attempt(client.xgroup("CREATE", key, "g", "nope")),
      await ctx.attempt(send(client, "xgroup", "CREATE", key, "g", "0", "ENTRIESREAD", "x")),
      await ctx.attempt(send(client, "xgroup", "CREATE", key, "g", "0", "ENTRIESREAD", -5)),
      await ctx.attempt(send(client, "xgroup", "CREATE", key, "g", "0", "FOO")),
      await client.xinfo("GROUPS", key),
    ];
  },

  "XGROUP SETID rewinds the group so that entries are delivered again": async (client, ctx) => {
    const key = ctx.key("s");
    await seedStream(client, key, 3);
    await client.xgroup("CREATE", key, "g", "0");
    const first = await client.xreadgroup("GROUP", "g", "c", "STREAMS", key, ">");
    const setid = await client.xgroup("SETID", key, "g", "1-0");
    return [first, setid, await client.xreadgroup("GROUP", "g", "c", "STREAMS", key, ">")];
  },

  "XGROUP SETID with $ and ENTRIESREAD updates XINFO GROUPS": async (client, ctx) => {
    const key = ctx.key("s");
    await seedStream(client, key, 3);
    await client.xgroup("CREATE", key, "g", "0");
    const dollar = await client.xgroup("SETID", key, "g", "$");
    const afterDollar = await client.xinfo("GROUPS", key);
    const entriesRead = await send(client, "xgroup", "SETID", key, "g", "1-0", "ENTRIESREAD", 1);
    return [dollar, afterDollar, entriesRead, await client.xinfo("GROUPS", key)];
  },

  "XGROUP SETID on a missing group or key is an error": async (client, ctx) => {
    const key = ctx.key("s");
    const missingKey = await ctx.attempt(client.xgroup("SETID", ctx.key("missing"), "g", "0"));
    await seedStream(client, key, 1);
    return [missingKey, await ctx.attempt(client.xgroup("SETID", key, "nope", "0"))];
  },

  "XGROUP DESTROY returns 1 then 0 and forgets the group": async (client, ctx) => {
    const key = ctx.key("s");
    await seedStream(client, key, 2);
    await client.xgroup("CREATE", key, "g", "0");
    await client.xreadgroup("GROUP", "g", "c", "STREAMS", key, ">");
    return [
      await client.xgroup("DESTROY", key, "g"),
      await client.xgroup("DESTROY", key, "g"),
      await ctx.attempt(client.xreadgroup("GROUP", "g", "c", "STREAMS", key, ">")),
      await client.xinfo("GROUPS", key),
      await ctx.attempt(client.xgroup("DESTROY", ctx.key("missing"), "g")),
    ];
  },

  "XGROUP CREATECONSUMER creates a consumer once": async (client, ctx) => {
    const key = ctx.key("s");
    await client.xgroup("CREATE", key, "g", "$", "MKSTREAM");
    return [
      await client.xgroup("CREATECONSUMER", key, "g", "alice"),
      await client.xgroup("CREATECONSUMER", key, "g", "alice"),
      await client.xgroup("CREATECONSUMER", key, "g", "bob"),
      await ctx.attempt(client.xgroup("CREATECONSUMER", key, "nope", "alice")),
      await client.xinfo("CONSUMERS", key, "g"),
    ];
  },

  "XGROUP DELCONSUMER returns the consumer's pending count and drops its pending entries": async (
    client,
    ctx,
  ) => {
    const key = ctx.key("s");
    await seedStream(client, key, 3);
    await client.xgroup("CREATE", key, "g", "0");
    await client.xreadgroup("GROUP", "g", "alice", "COUNT", 2, "STREAMS", key, ">");
    await client.xreadgroup("GROUP", "g", "bob", "STREAMS", key, ">");
    return [
      await client.xgroup("DELCONSUMER", key, "g", "alice"),
      await client.xgroup("DELCONSUMER", key, "g", "alice"),
      await client.xpending(key, "g"),
      await client.xinfo("GROUPS", key),
    ];
  },

  "XGROUP SETID ENTRIESREAD beyond entries-added is taken as is, lag included": async (
    client,
    ctx,
  ) => {
    const key = ctx.key("s");
    await seedStream(client, key, 1);
    await client.xgroup("CREATE", key, "g", "0");
    await send(client, "xgroup", "SETID", key, "g", "0", "ENTRIESREAD", 99);
    return client.xinfo("GROUPS", key);
  },

  "XGROUP CREATECONSUMER and DELCONSUMER need an existing key and group": async (client, ctx) => {
    const key = ctx.key("s");
    await seedStream(client, key, 1);
    return [
      await ctx.attempt(client.xgroup("CREATECONSUMER", ctx.key("missing"), "g", "c")),
      await ctx.attempt(client.xgroup("DELCONSUMER", ctx.key("missing"), "g", "c")),
      await ctx.attempt(client.xgroup("DELCONSUMER", key, "nope", "c")),
    ];
  },

  "XGROUP with an unknown subcommand or wrong arity is an error": async (client, ctx) => {
    const key = ctx.key("s");
    await client.xgroup("CREATE", key, "g", "$", "MKSTREAM");
    return [
      await ctx.attempt(send(client, "xgroup", "FOO", key)),
      await ctx.attempt(send(client, "xgroup", "CREATE", key)),
      await ctx.attempt(send(client, "xgroup", "DESTROY", key)),
      await ctx.attempt(send(client, "xgroup", "CREATECONSUMER", key, "g")),
    ];
  },

  "XGROUP on a key of another type is a WRONGTYPE error": async (client, ctx) => {
    const key = ctx.key("str");
    await client.set(key, "x");
    return [
      await ctx.attempt(client.xgroup("CREATE", key, "g", "0")),
      await ctx.attempt(client.xgroup("CREATE", key, "g", "0", "MKSTREAM")),
    ];
  },
});

defineDifferentialSuite("XREADGROUP", {
  "XREADGROUP > delivers new entries and records them as pending": async (client, ctx) => {
    const key = ctx.key("s");
    await seedStream(client, key, 3);
    await client.xgroup("CREATE", key, "g", "0");
    return [
      await client.xreadgroup("GROUP", "g", "c", "COUNT", 2, "STREAMS", key, ">"),
      await client.xreadgroup("GROUP", "g", "c", "STREAMS", key, ">"),
      await client.xreadgroup("GROUP", "g", "c", "STREAMS", key, ">"),
      await client.xpending(key, "g"),
    ];
  },

  "XREADGROUP with an explicit id returns the consumer's own pending history": async (
    client,
    ctx,
  ) => {
    const key = ctx.key("s");
    await seedStream(client, key, 4);
    await client.xgroup("CREATE", key, "g", "0");
    await client.xreadgroup("GROUP", "g", "alice", "COUNT", 2, "STREAMS", key, ">");
    await client.xreadgroup("GROUP", "g", "bob", "COUNT", 1, "STREAMS", key, ">");
    await client.xack(key, "g", "1-0");
    return [
      await client.xreadgroup("GROUP", "g", "alice", "STREAMS", key, "0"),
      await client.xreadgroup("GROUP", "g", "bob", "STREAMS", key, "0-0"),
      await client.xreadgroup("GROUP", "g", "alice", "COUNT", 1, "STREAMS", key, "1-5"),
      await client.xreadgroup("GROUP", "g", "carol", "STREAMS", key, "0"),
    ];
  },

  "XREADGROUP history increments the delivery count of re-read entries": async (client, ctx) => {
    const key = ctx.key("s");
    await seedStream(client, key, 2);
    await client.xgroup("CREATE", key, "g", "0");
    await client.xreadgroup("GROUP", "g", "c", "STREAMS", key, ">");
    await client.xreadgroup("GROUP", "g", "c", "STREAMS", key, "0");
    await client.xreadgroup("GROUP", "g", "c", "COUNT", 1, "STREAMS", key, "0");
    return ctx.pendingRows(await client.xpending(key, "g", "-", "+", 10));
  },

  "XREADGROUP history shows entries deleted while pending with null fields": async (
    client,
    ctx,
  ) => {
    const key = ctx.key("s");
    await seedStream(client, key, 3);
    await client.xgroup("CREATE", key, "g", "0");
    await client.xreadgroup("GROUP", "g", "c", "STREAMS", key, ">");
    await client.xdel(key, "2-0");
    return [
      await client.xreadgroup("GROUP", "g", "c", "STREAMS", key, "0"),
      await client.xpending(key, "g"),
    ];
  },

  "XREADGROUP NOACK delivers without recording pending entries": async (client, ctx) => {
    const key = ctx.key("s");
    await seedStream(client, key, 2);
    await client.xgroup("CREATE", key, "g", "0");
    return [
      await client.xreadgroup("GROUP", "g", "c", "NOACK", "STREAMS", key, ">"),
      await client.xpending(key, "g"),
      await client.xinfo("GROUPS", key),
      await client.xinfo("CONSUMERS", key, "g"),
    ];
  },

  "XREADGROUP over several streams reads each with its own group state": async (client, ctx) => {
    const first = ctx.key("a");
    const second = ctx.key("b");
    await seedStream(client, first, 2);
    await seedStream(client, second, 3);
    await client.xgroup("CREATE", first, "g", "0");
    await client.xgroup("CREATE", second, "g", "1-0");
    return [
      await client.xreadgroup("GROUP", "g", "c", "COUNT", 1, "STREAMS", first, second, ">", ">"),
      await client.xreadgroup("GROUP", "g", "c", "STREAMS", first, second, ">", "0"),
    ];
  },

  "XREADGROUP on a missing key or group is a NOGROUP error": async (client, ctx) => {
    const key = ctx.key("s");
    const missingKey = await ctx.attempt(
      client.xreadgroup("GROUP", "g", "c", "STREAMS", ctx.key("missing"), ">"),
    );
    await seedStream(client, key, 1);
    return [
      missingKey,
      await ctx.attempt(client.xreadgroup("GROUP", "g", "c", "STREAMS", key, ">")),
    ];
  },

  "XREADGROUP rejects $, bad ids and missing GROUP": async (client, ctx) => {
    const key = ctx.key("s");
    await seedStream(client, key, 1);
    await client.xgroup("CREATE", key, "g", "0");
    return [
      await ctx.attempt(client.xreadgroup("GROUP", "g", "c", "STREAMS", key, "$")),
      await ctx.attempt(client.xreadgroup("GROUP", "g", "c", "STREAMS", key, "x")),
      await ctx.attempt(send(client, "xreadgroup", "GROUP", "g", "STREAMS", key, ">")),
      await ctx.attempt(send(client, "xreadgroup", "GROUP", "g", "c", "STREAMS", key)),
      await ctx.attempt(send(client, "xread", "STREAMS", key, ">")),
    ];
  },

  "XREADGROUP on another type is a WRONGTYPE error": async (client, ctx) => {
    const key = ctx.key("str");
    await client.set(key, "x");
    return ctx.attempt(client.xreadgroup("GROUP", "g", "c", "STREAMS", key, ">"));
  },

  "XREADGROUP > with nothing new returns null and creates no consumer": async (client, ctx) => {
    const key = ctx.key("s");
    await client.xgroup("CREATE", key, "g", "$", "MKSTREAM");
    return [
      await client.xreadgroup("GROUP", "g", "c", "STREAMS", key, ">"),
      await client.xinfo("CONSUMERS", key, "g"),
    ];
  },

  "three consumers sharing a group each receive distinct entries, every entry exactly once": async (
    client,
    ctx,
  ) => {
    // Given a group and three consumers reading in turn
    const key = ctx.key("work");
    await client.xgroup("CREATE", key, "workers", "0", "MKSTREAM");
    for (let index = 0; index < 10; index++) await client.xadd(key, "*", "task", `${index}`);
    const received: Record<string, string[]> = { w0: [], w1: [], w2: [] };
    // When each one reads one entry at a time until the stream is drained
    for (let turn = 0; turn < 12; turn++) {
      const consumer = `w${turn % 3}`;
      const reply = await client.xreadgroup(
        "GROUP",
        "workers",
        consumer,
        "COUNT",
        1,
        "STREAMS",
        key,
        ">",
      );
      for (const [, entries] of (reply ?? []) as [string, [string, string[]][]][]) {
        for (const [, fields] of entries) received[consumer]?.push(fields[1] ?? "");
      }
    }
    // Then every task went to exactly one consumer
    const all = Object.values(received).flat().sort();
    return {
      received,
      everyTaskOnce: JSON.stringify(all) === JSON.stringify([..."0123456789"].sort()),
      pending: await client.xpending(key, "workers"),
      consumers: await client.xinfo("CONSUMERS", key, "workers"),
    };
  },
});

defineDifferentialSuite("XACK", {
  "XACK removes pending entries and counts only those that were pending": async (client, ctx) => {
    const key = ctx.key("s");
    await seedStream(client, key, 3);
    await client.xgroup("CREATE", key, "g", "0");
    await client.xreadgroup("GROUP", "g", "c", "STREAMS", key, ">");
    return [
      await client.xack(key, "g", "1-0", "3-0", "9-0", "1-0"),
      await client.xack(key, "g", "1-0"),
      await client.xpending(key, "g"),
      await client.xinfo("CONSUMERS", key, "g"),
    ];
  },

  "XACK on a missing key or group returns 0 and an invalid id is rejected": async (client, ctx) => {
    const key = ctx.key("s");
    await seedStream(client, key, 1);
    await client.xgroup("CREATE", key, "g", "0");
    await client.xreadgroup("GROUP", "g", "c", "STREAMS", key, ">");
    return [
      await client.xack(ctx.key("missing"), "g", "1-0"),
      await client.xack(key, "nope", "1-0"),
      await ctx.attempt(client.xack(key, "g", "1-0", "bad")),
      await client.xpending(key, "g"),
      await ctx.attempt(send(client, "xack", key, "g")),
    ];
  },

  "XACK on another type is a WRONGTYPE error": async (client, ctx) => {
    const key = ctx.key("str");
    await client.set(key, "x");
    return ctx.attempt(client.xack(key, "g", "1-0"));
  },
});
