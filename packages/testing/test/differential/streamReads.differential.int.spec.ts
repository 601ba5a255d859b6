import type { Redis } from "ioredis";
import { defineDifferentialSuite } from "./support/defineDifferentialSuite.js";
import { send } from "./support/send.js";

// XRANGE, XREVRANGE and non-blocking XREAD (Redis 7.0 src/t_stream.c: xrangeGenericCommand,
// streamGenericParseIDOrReply, xreadCommand).

async function seed(client: Redis, key: string, ids: string[]): Promise<void> {
  const pipeline = client.pipeline();
  for (const id of ids) pipeline.xadd(key, id, "id", id);
  await pipeline.exec();
}

const IDS = ["1-0", "1-1", "2-0", "3-5", "3-6", "4-0", "10-0"];

defineDifferentialSuite("XRANGE", {
  "XRANGE - + returns every entry in id order": async (client, ctx) => {
    const key = ctx.key("s");
    await seed(client, key, IDS);
    return client.xrange(key, "-", "+");
  },

  "XRANGE COUNT returns at most COUNT entries from the start": async (client, ctx) => {
    const key = ctx.key("s");
    await seed(client, key, IDS);
    return [
      await client.xrange(key, "-", "+", "COUNT", 3),
      await client.xrange(key, "-", "+", "COUNT", 100),
      await client.xrange(key, "-", "+", "COUNT", 1),
    ];
  },

  "XRANGE with COUNT 0 or a negative COUNT returns nothing": async (client, ctx) => {
    const key = ctx.key("s");
    await seed(client, key, IDS);
    return [
      await client.xrange(key, "-", "+", "COUNT", 0),
      await client.xrange(key, "-", "+", "COUNT", -3),
    ];
  },

  "XRANGE bounds are inclusive": async (client, ctx) => {
    const key = ctx.key("s");
    await seed(client, key, IDS);
    return client.xrange(key, "1-1", "3-6");
  },

  "XRANGE with ( bounds excludes them": async (client, ctx) => {
    const key = ctx.key("s");
    await seed(client, key, IDS);
    return [
      await client.xrange(key, "(1-1", "(3-6"),
      await client.xrange(key, "(1-1", "+"),
      await client.xrange(key, "-", "(2-0"),
      await client.xrange(key, "(3-5", "(3-6"),
    ];
  },

  "XRANGE with incomplete ids takes the whole millisecond": async (client, ctx) => {
    const key = ctx.key("s");
    await seed(client, key, IDS);
    return [
      await client.xrange(key, "3", "3"),
      await client.xrange(key, "1", "2"),
      await client.xrange(key, "(1", "+"),
      await client.xrange(key, "-", "(3"),
    ];
  },

  "XRANGE with start after end is empty": async (client, ctx) => {
    const key = ctx.key("s");
    await seed(client, key, IDS);
    return [await client.xrange(key, "5", "4"), await client.xrange(key, "(3-5", "3-5")];
  },

  "XRANGE pages through a stream with exclusive starts": async (client, ctx) => {
    const key = ctx.key("s");
    await seed(client, key, IDS);
    const pages: unknown[] = [];
    let start = "-";
    for (;;) {
      const page = await client.xrange(key, start, "+", "COUNT", 2);
      if (page.length === 0) break;
      pages.push(page.map(([id]) => id));
      start = `(${page[page.length - 1]?.[0]}`;
    }
    return pages;
  },

  "XRANGE rejects exclusive bounds that cannot be moved": async (client, ctx) => {
    const key = ctx.key("s");
    await seed(client, key, IDS);
    return [
      await ctx.attempt(client.xrange(key, "(-", "+")),
      await ctx.attempt(client.xrange(key, "-", "(+")),
      await ctx.attempt(client.xrange(key, "(18446744073709551615-18446744073709551615", "+")),
      await ctx.attempt(client.xrange(key, "-", "(0-0")),
      await client.xrange(key, "-", "(0-1"),
    ];
  },

  "XRANGE rejects malformed ids and options": async (client, ctx) => {
    const key = ctx.key("s");
    await seed(client, key, IDS);
    return [
      await ctx.attempt(client.xrange(key, "x", "+")),
      await ctx.attempt(client.xrange(key, "-", "1-y")),
      await ctx.attempt(send(client, "xrange", key, "-", "+", "COUNT")),
      await ctx.attempt(send(client, "xrange", key, "-", "+", "COUNT", "many")),
      await ctx.attempt(send(client, "xrange", key, "-", "+", "LIMIT", 1)),
    ];
  },

  "XRANGE bounds parse like XADD ids: leading zeros and + pass": async (client, ctx) => {
    const key = ctx.key("s");
    await seed(client, key, IDS);
    return [
      await client.xrange(key, "01", "+", "COUNT", 1),
      await client.xrange(key, "+1-1", "003"),
      await client.xrange(key, "(01-01", "+", "COUNT", 2),
      await ctx.attempt(client.xrange(key, "-1", "+")),
      await ctx.attempt(client.xrange(key, "(+", "+")),
    ];
  },

  "XRANGE of a missing key is empty and of another type is a WRONGTYPE error": async (
    client,
    ctx,
  ) => {
    const key = ctx.key("hash");
    await client.hset(key, "a", "1");
    return [
      await client.xrange(ctx.key("missing"), "-", "+"),
      await ctx.attempt(client.xrange(key, "-", "+")),
    ];
  },

  "XRANGE orders ids beyond 2^53 numerically, not as strings or doubles": async (client, ctx) => {
    const key = ctx.key("s");
    await seed(client, key, [
      "9-0",
      "10-0",
      "9007199254740992-0",
      "9007199254740993-0",
      "9007199254740993-9007199254740993",
      "18446744073709551614-1",
    ]);
    return [
      await client.xrange(key, "-", "+"),
      await client.xrange(key, "9007199254740993", "9007199254740993"),
      await client.xrange(key, "(9007199254740992-0", "(18446744073709551614-1"),
    ];
  },
});

defineDifferentialSuite("XREVRANGE", {
  "XREVRANGE + - returns every entry newest first": async (client, ctx) => {
    const key = ctx.key("s");
    await seed(client, key, IDS);
    return client.xrevrange(key, "+", "-");
  },

  "XREVRANGE COUNT returns the newest entries": async (client, ctx) => {
    const key = ctx.key("s");
    await seed(client, key, IDS);
    return [
      await client.xrevrange(key, "+", "-", "COUNT", 2),
      await client.xrevrange(key, "+", "-", "COUNT", 0),
    ];
  },

  "XREVRANGE takes end first and honours ( and incomplete ids": async (client, ctx) => {
    const key = ctx.key("s");
    await seed(client, key, IDS);
    return [
      await client.xrevrange(key, "3", "1"),
      await client.xrevrange(key, "(3-6", "(1-0"),
      await client.xrevrange(key, "1", "3"),
      await ctx.attempt(client.xrevrange(key, "+", "(-")),
    ];
  },

  "XREVRANGE pages backwards with exclusive ends": async (client, ctx) => {
    const key = ctx.key("s");
    await seed(client, key, IDS);
    const pages: unknown[] = [];
    let end = "+";
    for (;;) {
      const page = await client.xrevrange(key, end, "-", "COUNT", 3);
      if (page.length === 0) break;
      pages.push(page.map(([id]) => id));
      end = `(${page[page.length - 1]?.[0]}`;
    }
    return pages;
  },
});

defineDifferentialSuite("XREAD", {
  "XREAD from 0 returns every entry of the stream": async (client, ctx) => {
    const key = ctx.key("s");
    await seed(client, key, IDS);
    return client.xread("STREAMS", key, "0");
  },

  "XREAD returns entries strictly after the given id, COUNT caps them": async (client, ctx) => {
    const key = ctx.key("s");
    await seed(client, key, IDS);
    return [
      await client.xread("COUNT", 2, "STREAMS", key, "1-1"),
      await client.xread("STREAMS", key, "3"),
      await client.xread("STREAMS", key, "10-0"),
    ];
  },

  "XREAD over several streams returns only the streams with news, in argument order": async (
    client,
    ctx,
  ) => {
    const first = ctx.key("a");
    const second = ctx.key("b");
    const third = ctx.key("c");
    await seed(client, first, ["1-0", "2-0"]);
    await seed(client, second, ["1-0"]);
    await seed(client, third, ["5-0"]);
    return [
      await client.xread("COUNT", 1, "STREAMS", third, first, second, "0", "0", "1-0"),
      await client.xread("STREAMS", first, ctx.key("missing"), "2-0", "0"),
    ];
  },

  "XREAD of a missing key or of $ without BLOCK returns null": async (client, ctx) => {
    const key = ctx.key("s");
    await seed(client, key, IDS);
    return [
      await client.xread("STREAMS", ctx.key("missing"), "0"),
      await client.xread("STREAMS", key, "$"),
    ];
  },

  "XREAD with unbalanced streams or bad ids is an error": async (client, ctx) => {
    const key = ctx.key("s");
    await seed(client, key, IDS);
    return [
      await ctx.attempt(send(client, "xread", "STREAMS", key, ctx.key("b"), "0")),
      await ctx.attempt(send(client, "xread", "STREAMS", key, "x")),
      await ctx.attempt(send(client, "xread", "COUNT", "x", "STREAMS", key, "0")),
      await ctx.attempt(send(client, "xread", "FOO", "STREAMS", key, "0")),
      await ctx.attempt(send(client, "xread", "STREAMS", key, ">")),
    ];
  },

  "XREAD on another type is a WRONGTYPE error": async (client, ctx) => {
    const key = ctx.key("str");
    await client.set(key, "x");
    return ctx.attempt(client.xread("STREAMS", key, "0"));
  },

  "XREAD returns entries with ids beyond 2^53 as exact strings": async (client, ctx) => {
    const key = ctx.key("s");
    await seed(client, key, ["9007199254740993-1", "9007199254740993-2"]);
    return client.xread("STREAMS", key, "9007199254740993-1");
  },
});
