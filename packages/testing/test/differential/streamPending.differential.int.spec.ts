import type { Redis } from "ioredis";
import {
  type DifferentialContext,
  defineDifferentialSuite,
} from "./support/defineDifferentialSuite.js";
import { seedStream } from "./support/seedStream.js";
import { send } from "./support/send.js";

// XPENDING, XCLAIM and XAUTOCLAIM (Redis 7.0 src/t_stream.c: xpendingCommand, xclaimCommand,
// xautoclaimCommand) and the recovery flow of the Redis Streams guide ("Message Acknowledgment
// and Recovery").

/** A stream of `count` entries `1-0 … count-0` and a group `g` from 0. */
async function seedGroup(client: Redis, ctx: DifferentialContext, count: number): Promise<string> {
  const key = ctx.key("s");
  await seedStream(client, key, count);
  await client.xgroup("CREATE", key, "g", "0");
  return key;
}

defineDifferentialSuite("XPENDING", {
  "XPENDING summary of a group with nothing pending is zero and nulls": async (client, ctx) => {
    const key = await seedGroup(client, ctx, 2);
    return client.xpending(key, "g");
  },

  "XPENDING summary counts per consumer, ordered by consumer name": async (client, ctx) => {
    const key = await seedGroup(client, ctx, 6);
    await client.xreadgroup("GROUP", "g", "zed", "COUNT", 1, "STREAMS", key, ">");
    await client.xreadgroup("GROUP", "g", "amy", "COUNT", 3, "STREAMS", key, ">");
    await client.xreadgroup("GROUP", "g", "bob", "COUNT", 2, "STREAMS", key, ">");
    return client.xpending(key, "g");
  },

  "XPENDING extended lists id, consumer, idle and delivery count in id order": async (
    client,
    ctx,
  ) => {
    const key = await seedGroup(client, ctx, 4);
    await client.xreadgroup("GROUP", "g", "alice", "COUNT", 2, "STREAMS", key, ">");
    await client.xreadgroup("GROUP", "g", "bob", "STREAMS", key, ">");
    return [
      ctx.pendingRows(await client.xpending(key, "g", "-", "+", 10)),
      ctx.pendingRows(await client.xpending(key, "g", "-", "+", 2)),
      ctx.pendingRows(await client.xpending(key, "g", "(1-0", "3", 10)),
      await client.xpending(key, "g", "-", "+", 0),
    ];
  },

  "XPENDING extended filters by consumer": async (client, ctx) => {
    const key = await seedGroup(client, ctx, 4);
    await client.xreadgroup("GROUP", "g", "alice", "COUNT", 2, "STREAMS", key, ">");
    await client.xreadgroup("GROUP", "g", "bob", "STREAMS", key, ">");
    return [
      ctx.pendingRows(await client.xpending(key, "g", "-", "+", 10, "bob")),
      await client.xpending(key, "g", "-", "+", 10, "nobody"),
    ];
  },

  "XPENDING IDLE keeps only entries idle for at least that long": async (client, ctx) => {
    const key = await seedGroup(client, ctx, 3);
    await client.xreadgroup("GROUP", "g", "alice", "STREAMS", key, ">");
    await client.xclaim(key, "g", "alice", 0, "1-0", "IDLE", 60_000);
    return [
      ctx.pendingRows(
        await send(client, "xpending", key, "g", "IDLE", 30_000, "-", "+", 10),
        60_000,
      ),
      // The first row was claimed with IDLE 60000, the others were just delivered.
      (
        (await send(client, "xpending", key, "g", "IDLE", 0, "-", "+", 10, "alice")) as unknown[][]
      ).map(([id, consumer, idle, deliveries], index) => [
        id,
        consumer,
        ctx.idle(idle, index === 0 ? 60_000 : 0),
        deliveries,
      ]),
      await send(client, "xpending", key, "g", "IDLE", 30_000, "-", "+", 10, "bob"),
    ];
  },

  "XPENDING on a missing group or key is a NOGROUP error": async (client, ctx) => {
    const key = await seedGroup(client, ctx, 1);
    return [
      await ctx.attempt(client.xpending(key, "nope")),
      await ctx.attempt(client.xpending(ctx.key("missing"), "g")),
      await ctx.attempt(client.xpending(key, "nope", "-", "+", 10)),
    ];
  },

  "XPENDING with malformed arguments is an error": async (client, ctx) => {
    const key = await seedGroup(client, ctx, 1);
    return [
      await ctx.attempt(send(client, "xpending", key, "g", "-", "+")),
      await ctx.attempt(send(client, "xpending", key, "g", "-", "+", "x")),
      await ctx.attempt(send(client, "xpending", key, "g", "bad", "+", 10)),
      await ctx.attempt(send(client, "xpending", key, "g", "IDLE", "x", "-", "+", 10)),
      await ctx.attempt(send(client, "xpending", key, "g", "-", "+", 10, "c", "extra")),
      await ctx.attempt(send(client, "xpending", key)),
    ];
  },
});

defineDifferentialSuite("XCLAIM", {
  "XCLAIM with min-idle 0 moves entries to the claimer and increments their delivery count": async (
    client,
    ctx,
  ) => {
    const key = await seedGroup(client, ctx, 3);
    await client.xreadgroup("GROUP", "g", "alice", "STREAMS", key, ">");
    return [
      await client.xclaim(key, "g", "bob", 0, "1-0", "3-0"),
      ctx.pendingRows(await client.xpending(key, "g", "-", "+", 10)),
      await client.xpending(key, "g"),
    ];
  },

  "XCLAIM with a min-idle the entries have not reached claims nothing": async (client, ctx) => {
    const key = await seedGroup(client, ctx, 2);
    await client.xreadgroup("GROUP", "g", "alice", "STREAMS", key, ">");
    return [
      await client.xclaim(key, "g", "bob", 3_600_000, "1-0", "2-0"),
      await client.xpending(key, "g"),
    ];
  },

  "XCLAIM JUSTID returns ids only and leaves the delivery count alone": async (client, ctx) => {
    const key = await seedGroup(client, ctx, 2);
    await client.xreadgroup("GROUP", "g", "alice", "STREAMS", key, ">");
    return [
      await client.xclaim(key, "g", "bob", 0, "1-0", "2-0", "JUSTID"),
      ctx.pendingRows(await client.xpending(key, "g", "-", "+", 10)),
    ];
  },

  "XCLAIM ignores ids that are not pending unless FORCE is given": async (client, ctx) => {
    const key = await seedGroup(client, ctx, 3);
    await client.xreadgroup("GROUP", "g", "alice", "COUNT", 1, "STREAMS", key, ">");
    const withoutForce = await client.xclaim(key, "g", "bob", 0, "2-0");
    const withForce = await client.xclaim(key, "g", "bob", 0, "2-0", "3-0", "9-0", "FORCE");
    return [
      withoutForce,
      withForce,
      ctx.pendingRows(await client.xpending(key, "g", "-", "+", 10)),
    ];
  },

  "XCLAIM RETRYCOUNT sets the delivery count": async (client, ctx) => {
    const key = await seedGroup(client, ctx, 1);
    await client.xreadgroup("GROUP", "g", "alice", "STREAMS", key, ">");
    await client.xclaim(key, "g", "bob", 0, "1-0", "RETRYCOUNT", 7);
    const afterRetry = ctx.pendingRows(await client.xpending(key, "g", "-", "+", 10));
    await client.xclaim(key, "g", "carol", 0, "1-0", "RETRYCOUNT", 7, "JUSTID");
    return [afterRetry, ctx.pendingRows(await client.xpending(key, "g", "-", "+", 10))];
  },

  "XCLAIM IDLE and TIME set the idle time of the claimed entry": async (client, ctx) => {
    const key = await seedGroup(client, ctx, 2);
    await client.xreadgroup("GROUP", "g", "alice", "STREAMS", key, ">");
    await client.xclaim(key, "g", "bob", 0, "1-0", "IDLE", 120_000);
    await client.xclaim(key, "g", "bob", 0, "2-0", "TIME", Date.now() - 300_000);
    const rows = (await client.xpending(key, "g", "-", "+", 10)) as unknown[][];
    return [ctx.pendingRows([rows[0]], 120_000), ctx.pendingRows([rows[1]], 300_000)];
  },

  "XCLAIM drops deleted entries from the pending list instead of returning them": async (
    client,
    ctx,
  ) => {
    const key = await seedGroup(client, ctx, 3);
    await client.xreadgroup("GROUP", "g", "alice", "STREAMS", key, ">");
    await client.xdel(key, "2-0");
    return [
      await client.xclaim(key, "g", "bob", 0, "1-0", "2-0", "3-0"),
      ctx.pendingRows(await client.xpending(key, "g", "-", "+", 10)),
    ];
  },

  "XCLAIM creates the claiming consumer": async (client, ctx) => {
    const key = await seedGroup(client, ctx, 1);
    await client.xreadgroup("GROUP", "g", "alice", "STREAMS", key, ">");
    await client.xclaim(key, "g", "bob", 0, "1-0");
    const consumers = (await client.xinfo("CONSUMERS", key, "g")) as unknown[][];
    return consumers.map((consumer) => consumer.slice(0, 4));
  },

  "XCLAIM rejects bad arguments and a missing group": async (client, ctx) => {
    const key = await seedGroup(client, ctx, 1);
    await client.xreadgroup("GROUP", "g", "alice", "STREAMS", key, ">");
    return [
      await ctx.attempt(send(client, "xclaim", key, "g", "bob", "x", "1-0")),
      await ctx.attempt(send(client, "xclaim", key, "g", "bob", 0, "bad")),
      await ctx.attempt(send(client, "xclaim", key, "g", "bob", 0, "1-0", "IDLE", "x")),
      await ctx.attempt(send(client, "xclaim", key, "g", "bob", 0, "1-0", "RETRYCOUNT", "x")),
      await ctx.attempt(send(client, "xclaim", key, "g", "bob", 0, "1-0", "TIME", "x")),
      await ctx.attempt(send(client, "xclaim", key, "g", "bob", 0, "1-0", "FOO")),
      await ctx.attempt(send(client, "xclaim", key, "nope", "bob", 0, "1-0")),
      await ctx.attempt(send(client, "xclaim", ctx.key("missing"), "g", "bob", 0, "1-0")),
      await ctx.attempt(send(client, "xclaim", key, "g", "bob", 0)),
      ctx.pendingRows(await client.xpending(key, "g", "-", "+", 10)),
    ];
  },
});

defineDifferentialSuite("XAUTOCLAIM", {
  "XAUTOCLAIM returns the next cursor, the claimed entries and the deleted ids": async (
    client,
    ctx,
  ) => {
    const key = await seedGroup(client, ctx, 5);
    await client.xreadgroup("GROUP", "g", "alice", "STREAMS", key, ">");
    await client.xdel(key, "2-0");
    return [
      await client.xautoclaim(key, "g", "bob", 0, "0-0", "COUNT", 2),
      await client.xautoclaim(key, "g", "bob", 0, "0-0"),
      ctx.pendingRows(await client.xpending(key, "g", "-", "+", 10)),
    ];
  },

  "XAUTOCLAIM walks the pending list with its cursor until 0-0": async (client, ctx) => {
    const key = await seedGroup(client, ctx, 7);
    await client.xreadgroup("GROUP", "g", "alice", "STREAMS", key, ">");
    const replies: unknown[] = [];
    let cursor = "0-0";
    for (let round = 0; round < 6; round++) {
      const reply = (await client.xautoclaim(key, "g", "bob", 0, cursor, "COUNT", 3)) as [
        string,
        unknown,
        unknown,
      ];
      replies.push(reply);
      cursor = reply[0];
      if (cursor === "0-0") break;
    }
    return replies;
  },

  "XAUTOCLAIM JUSTID returns ids and does not count a delivery": async (client, ctx) => {
    const key = await seedGroup(client, ctx, 3);
    await client.xreadgroup("GROUP", "g", "alice", "STREAMS", key, ">");
    return [
      await client.xautoclaim(key, "g", "bob", 0, "(1-0", "JUSTID"),
      ctx.pendingRows(await client.xpending(key, "g", "-", "+", 10)),
    ];
  },

  "XAUTOCLAIM with a min-idle nothing has reached claims nothing": async (client, ctx) => {
    const key = await seedGroup(client, ctx, 2);
    await client.xreadgroup("GROUP", "g", "alice", "STREAMS", key, ">");
    return client.xautoclaim(key, "g", "bob", 3_600_000, "-");
  },

  "XAUTOCLAIM rejects COUNT 0, bad ids and a missing group": async (client, ctx) => {
    const key = await seedGroup(client, ctx, 1);
    return [
      await ctx.attempt(send(client, "xautoclaim", key, "g", "bob", 0, "0", "COUNT", 0)),
      await ctx.attempt(send(client, "xautoclaim", key, "g", "bob", 0, "0", "COUNT", -1)),
      await ctx.attempt(send(client, "xautoclaim", key, "g", "bob", 0, "bad")),
      await ctx.attempt(send(client, "xautoclaim", key, "g", "bob", "x", "0")),
      await ctx.attempt(send(client, "xautoclaim", key, "g", "bob", 0, "0", "FOO")),
      await ctx.attempt(send(client, "xautoclaim", key, "nope", "bob", 0, "0")),
      await ctx.attempt(send(client, "xautoclaim", ctx.key("missing"), "g", "bob", 0, "0")),
    ];
  },
});

defineDifferentialSuite("recovery flow", {
  "a dead worker's entries are found with XPENDING, claimed with XCLAIM and acknowledged": async (
    client,
    ctx,
  ) => {
    // Given a group whose worker read three events and died before acknowledging them
    const key = ctx.key("user_events");
    await client.xgroup("CREATE", key, "processors", "0", "MKSTREAM");
    await client.xadd(key, "*", "type", "user_signup", "user_id", "123");
    await client.xadd(key, "*", "type", "purchase", "user_id", "123", "amount", "29.99");
    await client.xadd(key, "*", "type", "user_signup", "user_id", "456");
    const dead = ctx.duplicate();
    const read = await dead.xreadgroup("GROUP", "processors", "worker_1", "STREAMS", key, ">");
    await dead.quit();
    // When a recovery worker inspects the pending entries and claims those idle long enough
    const summary = await client.xpending(key, "processors");
    const details = (await client.xpending(key, "processors", "-", "+", 10)) as [
      string,
      string,
      number,
      number,
    ][];
    const claimed: unknown[] = [];
    const acked: number[] = [];
    for (const [id] of details) {
      const claim = await client.xclaim(key, "processors", "recovery_worker", 0, id);
      claimed.push(claim);
      if (claim.length > 0) acked.push(await client.xack(key, "processors", id));
    }
    // Then every entry was reprocessed once, and nothing is left pending
    return {
      read,
      summary,
      details: ctx.pendingRows(details),
      claimed,
      acked,
      after: await client.xpending(key, "processors"),
      consumers: ((await client.xinfo("CONSUMERS", key, "processors")) as unknown[][]).map(
        (consumer) => consumer.slice(0, 4),
      ),
    };
  },

  "XAUTOCLAIM hands a dead worker's entries to a live one that acknowledges them": async (
    client,
    ctx,
  ) => {
    const key = ctx.key("q");
    await client.xgroup("CREATE", key, "g", "$", "MKSTREAM");
    for (let index = 0; index < 4; index++) await client.xadd(key, "*", "job", `${index}`);
    await client.xreadgroup("GROUP", "g", "dead", "COUNT", 3, "STREAMS", key, ">");
    await client.xreadgroup("GROUP", "g", "live", "STREAMS", key, ">");
    const [, claimed] = (await client.xautoclaim(key, "g", "live", 0, "0-0")) as [
      string,
      [string, string[]][],
      string[],
    ];
    const acked = await client.xack(key, "g", ...claimed.map(([id]) => id));
    return {
      claimed,
      acked,
      pending: await client.xpending(key, "g"),
      detail: ctx.pendingRows(await client.xpending(key, "g", "-", "+", 10)),
    };
  },
});
