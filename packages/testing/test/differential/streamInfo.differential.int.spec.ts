import { defineDifferentialSuite } from "./support/defineDifferentialSuite.js";
import { seedStream } from "./support/seedStream.js";
import { send } from "./support/send.js";

// XINFO STREAM [FULL], GROUPS and CONSUMERS (Redis 7.0 src/t_stream.c: xinfoCommand,
// xinfoReplyWithStreamInfo). radix-tree-keys/-nodes (memory layout), idle and the FULL
// seen-time/delivery-time timestamps are normalised; everything else is compared exactly.

defineDifferentialSuite("XINFO", {
  "XINFO STREAM describes length, ids, counters and first and last entries": async (
    client,
    ctx,
  ) => {
    const key = ctx.key("s");
    await seedStream(client, key, 4);
    await client.xgroup("CREATE", key, "g", "0");
    return client.xinfo("STREAM", key);
  },

  "XINFO STREAM tracks max-deleted-entry-id, entries-added and recorded-first-entry-id": async (
    client,
    ctx,
  ) => {
    const key = ctx.key("s");
    await seedStream(client, key, 6);
    await client.xdel(key, "3-0");
    await client.xdel(key, "1-0");
    await client.xtrim(key, "MAXLEN", 3);
    return client.xinfo("STREAM", key);
  },

  "XINFO STREAM of an empty stream has null first and last entries": async (client, ctx) => {
    const key = ctx.key("s");
    await client.xgroup("CREATE", key, "g", "$", "MKSTREAM");
    const created = await client.xinfo("STREAM", key);
    await client.xadd(key, "5-0", "n", "1");
    await client.xdel(key, "5-0");
    return [created, await client.xinfo("STREAM", key)];
  },

  "XINFO STREAM after XADD * shows the generated ids": async (client, ctx) => {
    const key = ctx.key("s");
    await client.xadd(key, "*", "a", "1");
    await client.xadd(key, "*", "a", "2");
    return client.xinfo("STREAM", key);
  },

  "XINFO STREAM FULL lists entries, groups, their pending entries and consumers": async (
    client,
    ctx,
  ) => {
    const key = ctx.key("s");
    await seedStream(client, key, 3);
    await client.xgroup("CREATE", key, "g", "0");
    await client.xgroup("CREATE", key, "empty", "$");
    await client.xreadgroup("GROUP", "g", "alice", "COUNT", 2, "STREAMS", key, ">");
    await client.xreadgroup("GROUP", "g", "bob", "STREAMS", key, ">");
    await client.xclaim(key, "g", "bob", 0, "1-0", "TIME", 1_600_000_000_000);
    return send(client, "xinfo", "STREAM", key, "FULL");
  },

  "XINFO STREAM FULL COUNT limits the entries and pending lists": async (client, ctx) => {
    const key = ctx.key("s");
    await seedStream(client, key, 5);
    await client.xgroup("CREATE", key, "g", "0");
    await client.xreadgroup("GROUP", "g", "alice", "STREAMS", key, ">");
    return [
      await send(client, "xinfo", "STREAM", key, "FULL", "COUNT", 2),
      await send(client, "xinfo", "STREAM", key, "FULL", "COUNT", 0),
    ];
  },

  "XINFO GROUPS reports consumers, pending, last-delivered-id, entries-read and lag": async (
    client,
    ctx,
  ) => {
    const key = ctx.key("s");
    await seedStream(client, key, 5);
    await client.xgroup("CREATE", key, "a", "0");
    await client.xgroup("CREATE", key, "b", "$");
    await client.xgroup("CREATE", key, "c", "0");
    await client.xreadgroup("GROUP", "a", "x", "COUNT", 2, "STREAMS", key, ">");
    await client.xreadgroup("GROUP", "c", "x", "STREAMS", key, ">");
    await client.xack(key, "c", "1-0");
    return client.xinfo("GROUPS", key);
  },

  "XINFO GROUPS lag becomes unknown after a deletion inside the unread range": async (
    client,
    ctx,
  ) => {
    const key = ctx.key("s");
    await seedStream(client, key, 5);
    await client.xgroup("CREATE", key, "g", "0");
    await client.xreadgroup("GROUP", "g", "c", "COUNT", 1, "STREAMS", key, ">");
    const before = await client.xinfo("GROUPS", key);
    await client.xdel(key, "3-0");
    const afterDelete = await client.xinfo("GROUPS", key);
    await client.xreadgroup("GROUP", "g", "c", "STREAMS", key, ">");
    return [before, afterDelete, await client.xinfo("GROUPS", key)];
  },

  "XINFO GROUPS lag after trimming and after adding more entries": async (client, ctx) => {
    const key = ctx.key("s");
    await seedStream(client, key, 5);
    await client.xgroup("CREATE", key, "g", "0");
    await client.xtrim(key, "MAXLEN", 2);
    const afterTrim = await client.xinfo("GROUPS", key);
    await client.xadd(key, "6-0", "n", "6");
    await client.xreadgroup("GROUP", "g", "c", "COUNT", 1, "STREAMS", key, ">");
    return [afterTrim, await client.xinfo("GROUPS", key)];
  },

  "XINFO CONSUMERS lists name, pending and idle in name order": async (client, ctx) => {
    const key = ctx.key("s");
    await seedStream(client, key, 4);
    await client.xgroup("CREATE", key, "g", "0");
    await client.xreadgroup("GROUP", "g", "zoe", "COUNT", 1, "STREAMS", key, ">");
    await client.xreadgroup("GROUP", "g", "adam", "COUNT", 2, "STREAMS", key, ">");
    await client.xgroup("CREATECONSUMER", key, "g", "mia");
    return client.xinfo("CONSUMERS", key, "g");
  },

  "XINFO errors: missing key, missing group, wrong type and unknown subcommand": async (
    client,
    ctx,
  ) => {
    const key = ctx.key("s");
    const str = ctx.key("str");
    await seedStream(client, key, 1);
    await client.set(str, "x");
    return [
      await ctx.attempt(client.xinfo("STREAM", ctx.key("missing"))),
      await ctx.attempt(client.xinfo("GROUPS", ctx.key("missing"))),
      await ctx.attempt(client.xinfo("CONSUMERS", key, "nope")),
      await ctx.attempt(client.xinfo("CONSUMERS", ctx.key("missing"), "g")),
      await ctx.attempt(client.xinfo("STREAM", str)),
      await ctx.attempt(send(client, "xinfo", "FOO", key)),
      await ctx.attempt(send(client, "xinfo", "STREAM", key, "BAR")),
      await ctx.attempt(send(client, "xinfo", "STREAM", key, "FULL", "COUNT", "x")),
    ];
  },
});
