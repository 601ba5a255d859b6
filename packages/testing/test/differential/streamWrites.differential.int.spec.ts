import { defineDifferentialSuite } from "./support/defineDifferentialSuite.js";
import { seedStream } from "./support/seedStream.js";
import { send } from "./support/send.js";

// XADD, XLEN, XDEL, XTRIM and XSETID, as specified at https://redis.io/commands/xadd/ (and
// siblings) and implemented in Redis 7.0 src/t_stream.c (xaddCommand, streamParseAddOrTrimArgs,
// xtrimCommand, xdelCommand, xsetidCommand).

defineDifferentialSuite("XADD", {
  "XADD * returns a new id and XLEN counts the entry": async (client, ctx) => {
    const key = ctx.key("s");
    const id = await client.xadd(key, "*", "type", "signup", "user", "123");
    return { id, len: await client.xlen(key), range: await client.xrange(key, "-", "+") };
  },

  "successive XADD * ids increase and keep their insertion order": async (client, ctx) => {
    const key = ctx.key("s");
    const ids: (string | null)[] = [];
    for (let index = 0; index < 5; index++) ids.push(await client.xadd(key, "*", "n", `${index}`));
    const sorted = [...ids].sort((left, right) => {
      const [lms, lseq] = (left ?? "0-0").split("-").map(BigInt);
      const [rms, rseq] = (right ?? "0-0").split("-").map(BigInt);
      if (lms !== rms) return (lms ?? 0n) < (rms ?? 0n) ? -1 : 1;
      return (lseq ?? 0n) < (rseq ?? 0n) ? -1 : (lseq ?? 0n) > (rseq ?? 0n) ? 1 : 0;
    });
    return {
      ids,
      ordered: JSON.stringify(ids) === JSON.stringify(sorted),
      range: await client.xrange(key, "-", "+"),
    };
  },

  "XADD accepts explicit increasing ids": async (client, ctx) => {
    const key = ctx.key("s");
    return [
      await client.xadd(key, "1-1", "a", "1"),
      await client.xadd(key, "1-2", "a", "2"),
      await client.xadd(key, "2-0", "a", "3"),
      await client.xrange(key, "-", "+"),
    ];
  },

  "XADD with an id equal to the top item is rejected": async (client, ctx) => {
    const key = ctx.key("s");
    await client.xadd(key, "5-1", "a", "1");
    return ctx.attempt(client.xadd(key, "5-1", "a", "2"));
  },

  "XADD with an id smaller than the top item is rejected and nothing is added": async (
    client,
    ctx,
  ) => {
    const key = ctx.key("s");
    await client.xadd(key, "5-1", "a", "1");
    return [await ctx.attempt(client.xadd(key, "4-9", "a", "2")), await client.xlen(key)];
  },

  "XADD 0-0 is rejected on an empty key and creates nothing": async (client, ctx) => {
    const key = ctx.key("s");
    return [await ctx.attempt(client.xadd(key, "0-0", "a", "1")), await client.exists(key)];
  },

  "XADD with <ms>-* starts at sequence 0 and then increments the sequence": async (client, ctx) => {
    const key = ctx.key("s");
    return [
      await client.xadd(key, "7-*", "a", "1"),
      await client.xadd(key, "7-*", "a", "2"),
      await client.xadd(key, "9-*", "a", "3"),
    ];
  },

  "XADD 0-* on an empty stream generates 0-1": async (client, ctx) => {
    return client.xadd(ctx.key("s"), "0-*", "a", "1");
  },

  "XADD with <ms>-* below the top item's ms is rejected": async (client, ctx) => {
    const key = ctx.key("s");
    await client.xadd(key, "5-0", "a", "1");
    return ctx.attempt(client.xadd(key, "4-*", "a", "2"));
  },

  "XADD with <ms>-* when the top item has the maximal sequence is rejected": async (
    client,
    ctx,
  ) => {
    const key = ctx.key("s");
    await client.xadd(key, "5-18446744073709551615", "a", "1");
    return [
      await ctx.attempt(client.xadd(key, "5-*", "a", "2")),
      await client.xadd(key, "6-*", "a", "3"),
    ];
  },

  "XADD with an incomplete id uses sequence 0": async (client, ctx) => {
    const key = ctx.key("s");
    return [
      await client.xadd(key, "12", "a", "1"),
      await ctx.attempt(client.xadd(key, "12", "a", "2")),
    ];
  },

  "XADD with a malformed id is rejected": async (client, ctx) => {
    const key = ctx.key("s");
    return [
      await ctx.attempt(client.xadd(key, "abc", "a", "1")),
      await ctx.attempt(client.xadd(key, "1-x", "a", "1")),
      await ctx.attempt(client.xadd(key, "-1", "a", "1")),
      await ctx.attempt(client.xadd(key, "1-2-3", "a", "1")),
      await ctx.attempt(client.xadd(key, "18446744073709551616-0", "a", "1")),
      await client.exists(key),
    ];
  },

  // streamGenericParseIDOrReply reads both parts with string2ull/strtoull: leading zeros, a
  // leading "+" and leading spaces are accepted, anything else around the digits is not.
  "XADD parses ids like strtoull: leading zeros, + and spaces pass, other decorations fail": async (
    client,
    ctx,
  ) => {
    const key = ctx.key("s");
    const replies: unknown[] = [];
    for (const id of [
      "01-1",
      "+2-1",
      "3-",
      "4-01",
      "0x5-0",
      "6-+1",
      "7-**",
      "1e3-0",
      " 9-0",
      "10 -0",
      "00000000000000000000011-0",
      "12-*",
    ]) {
      replies.push(await ctx.attempt(client.xadd(key, id, "id", id)));
    }
    // The whole id may be up to 127 characters long (the parser's 128-byte buffer).
    const longest = `${"0".repeat(123)}13-0`;
    const tooLong = `${"0".repeat(124)}14-0`;
    replies.push(await ctx.attempt(client.xadd(key, longest, "id", "127 chars")));
    replies.push(await ctx.attempt(client.xadd(key, tooLong, "id", "128 chars")));
    return [replies, await client.xrange(key, "-", "+")];
  },

  "XADD * after an explicit id far in the future keeps the top item's ms and increments the sequence":
    async (client, ctx) => {
      const key = ctx.key("s");
      await client.xadd(key, "99999999999999-5", "a", "1");
      return [await client.xadd(key, "*", "a", "2"), await client.xadd(key, "*", "a", "3")];
    },

  "XADD keeps ids beyond 2^53 exact": async (client, ctx) => {
    const key = ctx.key("s");
    return [
      await client.xadd(key, "9007199254740993-9007199254740993", "a", "1"),
      await client.xadd(key, "9007199254740993-*", "a", "2"),
      await client.xadd(key, "18446744073709551615-0", "a", "3"),
      await client.xrange(key, "9007199254740993", "+"),
    ];
  },

  "XADD with the last possible id is accepted, and any later XADD is rejected": async (
    client,
    ctx,
  ) => {
    const key = ctx.key("s");
    return [
      await client.xadd(key, "18446744073709551615-18446744073709551615", "a", "1"),
      await ctx.attempt(client.xadd(key, "*", "a", "2")),
      await ctx.attempt(client.xadd(key, "18446744073709551615-*", "a", "2")),
      await client.xlen(key),
    ];
  },

  "XADD NOMKSTREAM on a missing key returns null and creates nothing": async (client, ctx) => {
    const key = ctx.key("s");
    return [await client.xadd(key, "NOMKSTREAM", "*", "a", "1"), await client.exists(key)];
  },

  "XADD NOMKSTREAM on an existing stream appends": async (client, ctx) => {
    const key = ctx.key("s");
    await client.xadd(key, "1-0", "a", "1");
    return [await client.xadd(key, "NOMKSTREAM", "2-0", "a", "2"), await client.xlen(key)];
  },

  "XADD MAXLEN = trims exactly to the newest entries": async (client, ctx) => {
    const key = ctx.key("s");
    await seedStream(client, key, 6);
    const added = await client.xadd(key, "MAXLEN", "=", 3, "7-0", "n", "7");
    return [added, await client.xlen(key), await client.xrange(key, "-", "+")];
  },

  "XADD MAXLEN without an operator trims exactly": async (client, ctx) => {
    const key = ctx.key("s");
    await seedStream(client, key, 5);
    await client.xadd(key, "MAXLEN", 2, "6-0", "n", "6");
    return client.xrange(key, "-", "+");
  },

  "XADD MAXLEN = 0 leaves an empty stream that still exists": async (client, ctx) => {
    const key = ctx.key("s");
    await client.xadd(key, "1-0", "n", "1");
    return [
      await client.xadd(key, "MAXLEN", "=", 0, "2-0", "n", "2"),
      await client.xlen(key),
      await client.exists(key),
      await client.type(key),
    ];
  },

  "XADD NOMKSTREAM MAXLEN combines both options": async (client, ctx) => {
    const key = ctx.key("s");
    const missing = await send(client, "xadd", key, "NOMKSTREAM", "MAXLEN", "=", 1, "*", "a", "1");
    await client.xadd(key, "1-0", "n", "1");
    await send(client, "xadd", key, "NOMKSTREAM", "MAXLEN", "=", 1, "2-0", "n", "2");
    return [missing, await client.xrange(key, "-", "+")];
  },

  "XADD MINID = removes every entry below the given id": async (client, ctx) => {
    const key = ctx.key("s");
    await seedStream(client, key, 6);
    await send(client, "xadd", key, "MINID", "=", "4", "7-0", "n", "7");
    return client.xrange(key, "-", "+");
  },

  "XADD MINID accepts a full id and keeps that id": async (client, ctx) => {
    const key = ctx.key("s");
    for (let index = 1; index <= 3; index++) {
      await client.xadd(key, `5-${index}`, "n", `${index}`);
    }
    await send(client, "xadd", key, "MINID", "5-2", "6-0", "n", "x");
    return client.xrange(key, "-", "+");
  },

  // Approximate trimming only removes whole radix-tree nodes (stream-node-max-entries, 100 by
  // default). Redis guarantees at least MAXLEN entries remain, and they are the newest ones; the
  // fake models the nodes, so the exact length is compared too (a `~` that trims nothing differs).
  "XADD MAXLEN ~ keeps at least the requested number of newest entries": async (client, ctx) => {
    const key = ctx.key("s");
    await seedStream(client, key, 250);
    const added = await client.xadd(key, "MAXLEN", "~", 20, "251-0", "n", "251");
    const length = await client.xlen(key);
    const newest = await client.xrevrange(key, "+", "-", "COUNT", 20);
    const first = await client.xrange(key, "-", "+", "COUNT", 1);
    const firstMs = Number(first[0]?.[0].split("-")[0]);
    return {
      added,
      length,
      atLeast20: length >= 20,
      atMost251: length <= 251,
      newest,
      contiguous: firstMs === 251 - length + 1,
    };
  },

  // Same guarantee as MAXLEN ~: nothing at or above MINID is removed.
  "XADD MINID ~ never removes entries at or above the threshold": async (client, ctx) => {
    const key = ctx.key("s");
    await seedStream(client, key, 250);
    await send(client, "xadd", key, "MINID", "~", "200", "251-0", "n", "251");
    const first = await client.xrange(key, "-", "+", "COUNT", 1);
    const firstMs = Number(first[0]?.[0].split("-")[0]);
    return {
      kept: await client.xrange(key, "200", "+"),
      firstMs,
      firstAtMost200: firstMs <= 200,
      lengthMatchesFirst: (await client.xlen(key)) === 251 - firstMs + 1,
    };
  },

  // LIMIT caps how many entries one approximate trim may remove; which ones is again up to Redis.
  "XADD MAXLEN ~ with LIMIT removes at most LIMIT entries": async (client, ctx) => {
    const key = ctx.key("s");
    await seedStream(client, key, 300);
    await send(client, "xadd", key, "MAXLEN", "~", 10, "LIMIT", 100, "301-0", "n", "301");
    const length = await client.xlen(key);
    return { length, removedAtMost100: 301 - length <= 100, atLeast10: length >= 10 };
  },

  "XADD MAXLEN = with LIMIT is a syntax error": async (client, ctx) => {
    const key = ctx.key("s");
    return [
      await ctx.attempt(send(client, "xadd", key, "MAXLEN", "=", 1, "LIMIT", 5, "*", "a", "1")),
      await ctx.attempt(send(client, "xadd", key, "MAXLEN", 1, "LIMIT", 5, "*", "a", "1")),
      await client.exists(key),
    ];
  },

  // streamParseAddOrTrimArgs parses the id inside its option loop and checks LIMIT after it,
  // so a bad id wins over a LIMIT without ~ (found by streams.property.int.spec.ts).
  "XADD reports an invalid id before a LIMIT without ~": async (client, ctx) => {
    const key = ctx.key("s");
    return [
      await ctx.attempt(send(client, "xadd", key, "MAXLEN", "=", 1, "LIMIT", 2, "x", "a", "1")),
      await ctx.attempt(send(client, "xadd", key, "MAXLEN", 1, "LIMIT", 2, "0-0", "a", "1")),
      await ctx.attempt(send(client, "xadd", key, "MAXLEN", 1, "LIMIT", 2, "*", "a", "1")),
    ];
  },

  "XADD with a negative or non-numeric MAXLEN is rejected": async (client, ctx) => {
    const key = ctx.key("s");
    return [
      await ctx.attempt(send(client, "xadd", key, "MAXLEN", -1, "*", "a", "1")),
      await ctx.attempt(send(client, "xadd", key, "MAXLEN", "x", "*", "a", "1")),
      await ctx.attempt(send(client, "xadd", key, "MAXLEN", "~", "1.5", "*", "a", "1")),
      await ctx.attempt(send(client, "xadd", key, "MINID", "bad", "*", "a", "1")),
    ];
  },

  "XADD with MAXLEN and MINID together is a syntax error": async (client, ctx) => {
    return ctx.attempt(send(client, "xadd", ctx.key("s"), "MAXLEN", 1, "MINID", 1, "*", "a", "1"));
  },

  "XADD with an odd number of field/value arguments is an arity error": async (client, ctx) => {
    const key = ctx.key("s");
    return [
      await ctx.attempt(send(client, "xadd", key, "*", "a")),
      await ctx.attempt(send(client, "xadd", key, "*", "a", "1", "b")),
      await ctx.attempt(send(client, "xadd", key, "*")),
    ];
  },

  "XADD keeps duplicate and empty field names and values in order": async (client, ctx) => {
    const key = ctx.key("s");
    await client.xadd(key, "1-0", "a", "1", "a", "2", "", "", "b", "");
    return client.xrange(key, "-", "+");
  },

  "XADD keeps binary-safe and unicode values": async (client, ctx) => {
    const key = ctx.key("s");
    await client.xadd(key, "1-0", "emoji", "héllo 🌍", "nl", "a\r\nb", "zero", "a\u0000b");
    return client.xrange(key, "-", "+");
  },

  "XADD on a key holding another type is a WRONGTYPE error": async (client, ctx) => {
    const key = ctx.key("str");
    await client.set(key, "v");
    return [
      await ctx.attempt(client.xadd(key, "*", "a", "1")),
      await ctx.attempt(client.xlen(key)),
      await client.get(key),
    ];
  },

  "XLEN of a missing key is 0": async (client, ctx) => client.xlen(ctx.key("missing")),
});

defineDifferentialSuite("XDEL", {
  "XDEL removes existing ids and counts only those": async (client, ctx) => {
    const key = ctx.key("s");
    await seedStream(client, key, 4);
    return [
      await client.xdel(key, "2-0", "3-0", "9-0", "2-0"),
      await client.xlen(key),
      await client.xrange(key, "-", "+"),
    ];
  },

  "XDEL of the last entry keeps the stream and its last generated id": async (client, ctx) => {
    const key = ctx.key("s");
    await client.xadd(key, "5-0", "n", "1");
    await client.xdel(key, "5-0");
    return [
      await client.exists(key),
      await client.xlen(key),
      await ctx.attempt(client.xadd(key, "5-0", "n", "2")),
      await client.xadd(key, "*", "n", "3"),
    ];
  },

  "XDEL on a missing key returns 0 and an invalid id is rejected": async (client, ctx) => {
    const key = ctx.key("s");
    const missing = await client.xdel(ctx.key("missing"), "1-0");
    await client.xadd(key, "1-0", "n", "1");
    return [missing, await ctx.attempt(client.xdel(key, "1-0", "nope")), await client.xlen(key)];
  },
});

defineDifferentialSuite("XTRIM", {
  "XTRIM MAXLEN trims to the newest entries and returns how many it removed": async (
    client,
    ctx,
  ) => {
    const key = ctx.key("s");
    await seedStream(client, key, 6);
    return [
      await client.xtrim(key, "MAXLEN", 4),
      await client.xtrim(key, "MAXLEN", "=", 2),
      await client.xtrim(key, "MAXLEN", 10),
      await client.xrange(key, "-", "+"),
    ];
  },

  "XTRIM MINID removes entries below the id": async (client, ctx) => {
    const key = ctx.key("s");
    await seedStream(client, key, 6);
    return [
      await send(client, "xtrim", key, "MINID", "=", "3-0"),
      await send(client, "xtrim", key, "MINID", "4"),
      await client.xrange(key, "-", "+"),
    ];
  },

  // Approximate trimming may remove fewer entries than asked (whole nodes only): checked against
  // what Redis guarantees, never more than asked.
  "XTRIM MAXLEN ~ never leaves fewer entries than requested": async (client, ctx) => {
    const key = ctx.key("s");
    await seedStream(client, key, 250);
    const removed = Number(await client.xtrim(key, "MAXLEN", "~", 30));
    const length = await client.xlen(key);
    return {
      removed,
      consistent: removed + length === 250,
      atLeast30: length >= 30,
      newest: await client.xrevrange(key, "+", "-", "COUNT", 30),
    };
  },

  "XTRIM ~ with LIMIT removes at most LIMIT entries": async (client, ctx) => {
    const key = ctx.key("s");
    await seedStream(client, key, 300);
    const removed = Number(await send(client, "xtrim", key, "MAXLEN", "~", 0, "LIMIT", 100));
    return {
      removed,
      atMost100: removed <= 100,
      consistent: removed + (await client.xlen(key)) === 300,
    };
  },

  "XTRIM syntax errors are reported": async (client, ctx) => {
    const key = ctx.key("s");
    await client.xadd(key, "1-0", "n", "1");
    return [
      await ctx.attempt(send(client, "xtrim", key, "MAXLEN", "=", 1, "LIMIT", 10)),
      await ctx.attempt(send(client, "xtrim", key, "FOO", 1)),
      await ctx.attempt(send(client, "xtrim", key, "MAXLEN", -5)),
      await ctx.attempt(send(client, "xtrim", key, "MAXLEN")),
      await ctx.attempt(send(client, "xtrim", key, "MAXLEN", 1, "MINID", 1)),
    ];
  },

  "XTRIM on a missing key returns 0 and on another type is a WRONGTYPE error": async (
    client,
    ctx,
  ) => {
    const key = ctx.key("h");
    await client.hset(key, "f", "v");
    return [
      await client.xtrim(ctx.key("missing"), "MAXLEN", 0),
      await ctx.attempt(client.xtrim(key, "MAXLEN", 0)),
    ];
  },
});

defineDifferentialSuite("XSETID", {
  "XSETID moves the last id forward so that smaller explicit ids are rejected": async (
    client,
    ctx,
  ) => {
    const key = ctx.key("s");
    await client.xadd(key, "1-0", "n", "1");
    return [
      await client.xsetid(key, "10-0"),
      await ctx.attempt(client.xadd(key, "9-0", "n", "2")),
      await client.xadd(key, "10-*", "n", "3"),
    ];
  },

  "XSETID below the top item is rejected": async (client, ctx) => {
    const key = ctx.key("s");
    await client.xadd(key, "5-0", "n", "1");
    return [await ctx.attempt(client.xsetid(key, "4-0")), await client.xsetid(key, "5-0")];
  },

  "XSETID on a missing key is an error": async (client, ctx) =>
    ctx.attempt(client.xsetid(ctx.key("missing"), "1-0")),

  "XSETID ENTRIESADDED and MAXDELETEDID are validated and shown by XINFO STREAM": async (
    client,
    ctx,
  ) => {
    const key = ctx.key("s");
    await client.xadd(key, "1-0", "n", "1");
    await client.xadd(key, "2-0", "n", "2");
    return [
      await ctx.attempt(send(client, "xsetid", key, "3-0", "ENTRIESADDED", 1)),
      await ctx.attempt(
        send(client, "xsetid", key, "3-0", "ENTRIESADDED", 5, "MAXDELETEDID", "4-0"),
      ),
      await send(client, "xsetid", key, "3-0", "ENTRIESADDED", 5, "MAXDELETEDID", "2-5"),
      await client.xinfo("STREAM", key),
    ];
  },
});
