import { defineDifferentialSuite } from "./support/defineDifferentialSuite.js";
import { send } from "./support/send.js";

// Blocking XREAD and XREADGROUP woken by a second client (Redis 7.0 src/t_stream.c xreadCommand,
// src/blocked.c serveClientsBlockedOnStreamKey / serveClientsBlockedOnKey). The reader is a
// duplicate connection (ctx.blockingReader); the writer runs once the server reports the reader
// blocked (ctx.untilBlocked).

defineDifferentialSuite("blocking XREAD", {
  "XREAD BLOCK on $ returns the entry another client adds": async (client, ctx) => {
    // Given a stream with history and a reader blocked on $
    const key = ctx.key("notifications");
    await client.xadd(key, "1-0", "type", "welcome");
    const reader = await ctx.blockingReader();
    const read = reader.xread("BLOCK", 5_000, "STREAMS", key, "$");
    await ctx.untilBlocked(1);
    // When another client adds an entry
    const added = await client.xadd(key, "2-0", "type", "reminder");
    // Then the reader gets that entry only
    return { added, read: await read };
  },

  "XREAD BLOCK times out with null when nothing is added": async (client, ctx) => {
    const key = ctx.key("s");
    await client.xadd(key, "1-0", "a", "1");
    const started = Date.now();
    const read = await client.xread("BLOCK", 150, "STREAMS", key, "$");
    const elapsed = Date.now() - started;
    return { read, waited: elapsed >= 100 && elapsed < 2_000 };
  },

  "XREAD BLOCK on a missing key times out with null": async (client, ctx) =>
    client.xread("BLOCK", 100, "STREAMS", ctx.key("missing"), "0"),

  "XREAD BLOCK returns at once when entries are already there": async (client, ctx) => {
    const key = ctx.key("s");
    await client.xadd(key, "1-0", "a", "1");
    await client.xadd(key, "2-0", "a", "2");
    const started = Date.now();
    const read = await client.xread("BLOCK", 5_000, "STREAMS", key, "1-0");
    return { read, immediate: Date.now() - started < 1_000 };
  },

  "XREAD BLOCK 0 waits without a timeout until an entry arrives": async (client, ctx) => {
    const key = ctx.key("s");
    const reader = await ctx.blockingReader();
    const read = reader.xread("BLOCK", 0, "STREAMS", key, "$");
    await ctx.untilBlocked(1);
    await client.xadd(key, "7-0", "a", "1");
    return read;
  },

  "XREAD BLOCK on $ of a missing key is woken when the stream is created": async (client, ctx) => {
    const key = ctx.key("s");
    const reader = await ctx.blockingReader();
    const read = reader.xread("BLOCK", 5_000, "STREAMS", key, "$");
    await ctx.untilBlocked(1);
    await client.xadd(key, "*", "a", "1");
    return read;
  },

  "XREAD BLOCK over several streams is woken by the one that gets an entry": async (
    client,
    ctx,
  ) => {
    const first = ctx.key("a");
    const second = ctx.key("b");
    await client.xadd(first, "1-0", "a", "1");
    await client.xadd(second, "1-0", "b", "1");
    const reader = await ctx.blockingReader();
    const read = reader.xread("BLOCK", 5_000, "STREAMS", first, second, "$", "$");
    await ctx.untilBlocked(1);
    await client.xadd(second, "2-0", "b", "2");
    return read;
  },

  "XREAD BLOCK wakes every reader blocked on the stream": async (client, ctx) => {
    const key = ctx.key("s");
    const first = await ctx.blockingReader();
    const second = await ctx.blockingReader();
    const reads = [
      first.xread("BLOCK", 5_000, "STREAMS", key, "$"),
      second.xread("BLOCK", 5_000, "STREAMS", key, "0"),
    ];
    await ctx.untilBlocked(2);
    await client.xadd(key, "3-0", "a", "1");
    return Promise.all(reads);
  },

  "XREAD BLOCK COUNT woken by a MULTI of several XADDs gets at most COUNT entries": async (
    client,
    ctx,
  ) => {
    const key = ctx.key("s");
    await client.xadd(key, "1-0", "a", "0");
    const reader = await ctx.blockingReader();
    const read = reader.xread("COUNT", 2, "BLOCK", 5_000, "STREAMS", key, "$");
    await ctx.untilBlocked(1);
    const exec = await client
      .multi()
      .xadd(key, "2-0", "a", "1")
      .xadd(key, "3-0", "a", "2")
      .xadd(key, "4-0", "a", "3")
      .exec();
    return { exec, read: await read };
  },

  "XREAD BLOCK is not woken by an entry added to another stream": async (client, ctx) => {
    const key = ctx.key("watched");
    const reader = await ctx.blockingReader();
    const read = reader.xread("BLOCK", 250, "STREAMS", key, "$");
    await ctx.untilBlocked(1);
    await client.xadd(ctx.key("other"), "1-0", "a", "1");
    return read;
  },

  "XREAD BLOCK keeps waiting when the key becomes another type": async (client, ctx) => {
    const key = ctx.key("s");
    const reader = await ctx.blockingReader();
    const read = reader.xread("BLOCK", 250, "STREAMS", key, "$");
    await ctx.untilBlocked(1);
    await client.set(key, "not a stream");
    return read;
  },

  "XREAD BLOCK inside MULTI does not block and returns null": async (client, ctx) => {
    const key = ctx.key("s");
    await client.xadd(key, "1-0", "a", "1");
    const started = Date.now();
    const exec = await client
      .multi()
      .xread("BLOCK", 5_000, "STREAMS", key, "$")
      .xread("BLOCK", 5_000, "STREAMS", key, "0")
      .exec();
    return { exec, immediate: Date.now() - started < 1_000 };
  },

  "XREAD BLOCK with a negative or non-integer timeout is an error": async (client, ctx) => {
    const key = ctx.key("s");
    return [
      await ctx.attempt(send(client, "xread", "BLOCK", -1, "STREAMS", key, "$")),
      await ctx.attempt(send(client, "xread", "BLOCK", "soon", "STREAMS", key, "$")),
      await ctx.attempt(send(client, "xread", "BLOCK", "1.5", "STREAMS", key, "$")),
    ];
  },
});

defineDifferentialSuite("blocking XREADGROUP", {
  "XREADGROUP BLOCK > returns the entry another client adds and records it as pending": async (
    client,
    ctx,
  ) => {
    const key = ctx.key("s");
    await client.xgroup("CREATE", key, "g", "$", "MKSTREAM");
    const reader = await ctx.blockingReader();
    const read = reader.xreadgroup("GROUP", "g", "c", "BLOCK", 5_000, "STREAMS", key, ">");
    await ctx.untilBlocked(1);
    await client.xadd(key, "*", "job", "1");
    return {
      read: await read,
      pending: await client.xpending(key, "g"),
      groups: await client.xinfo("GROUPS", key),
    };
  },

  "XREADGROUP BLOCK times out with null when nothing is added": async (client, ctx) => {
    const key = ctx.key("s");
    await client.xgroup("CREATE", key, "g", "$", "MKSTREAM");
    const read = await client.xreadgroup("GROUP", "g", "c", "BLOCK", 120, "STREAMS", key, ">");
    return { read, pending: await client.xpending(key, "g") };
  },

  "XREADGROUP BLOCK NOACK woken by an entry leaves nothing pending": async (client, ctx) => {
    const key = ctx.key("s");
    await client.xgroup("CREATE", key, "g", "$", "MKSTREAM");
    const reader = await ctx.blockingReader();
    const read = reader.xreadgroup("GROUP", "g", "c", "BLOCK", 5_000, "NOACK", "STREAMS", key, ">");
    await ctx.untilBlocked(1);
    await client.xadd(key, "5-0", "job", "1");
    return { read: await read, pending: await client.xpending(key, "g") };
  },

  "XREADGROUP BLOCK serves blocked consumers of one group first come, one entry each": async (
    client,
    ctx,
  ) => {
    // Given two consumers of one group blocked, the first one first
    const key = ctx.key("s");
    await client.xgroup("CREATE", key, "g", "$", "MKSTREAM");
    const first = await ctx.blockingReader();
    const second = await ctx.blockingReader();
    const firstRead = first.xreadgroup("GROUP", "g", "a", "BLOCK", 5_000, "STREAMS", key, ">");
    await ctx.untilBlocked(1);
    const secondRead = second.xreadgroup("GROUP", "g", "b", "BLOCK", 5_000, "STREAMS", key, ">");
    await ctx.untilBlocked(2);
    // When two entries are added one after the other
    await client.xadd(key, "1-0", "job", "1");
    const firstResult = await firstRead;
    await client.xadd(key, "2-0", "job", "2");
    // Then each consumer got exactly one of them
    return {
      firstResult,
      secondResult: await secondRead,
      pending: await client.xpending(key, "g"),
    };
  },

  "XREADGROUP BLOCK inside MULTI returns null at once when nothing is new": async (client, ctx) => {
    const key = ctx.key("s");
    await client.xgroup("CREATE", key, "g", "$", "MKSTREAM");
    const exec = await client
      .multi()
      .xreadgroup("GROUP", "g", "c", "BLOCK", 5_000, "STREAMS", key, ">")
      .xadd(key, "1-0", "a", "1")
      .xreadgroup("GROUP", "g", "c", "BLOCK", 5_000, "STREAMS", key, ">")
      .exec();
    return exec;
  },

  "XREADGROUP BLOCK with an explicit id returns the history at once instead of blocking": async (
    client,
    ctx,
  ) => {
    const key = ctx.key("s");
    await client.xgroup("CREATE", key, "g", "$", "MKSTREAM");
    const started = Date.now();
    const read = await client.xreadgroup("GROUP", "g", "c", "BLOCK", 5_000, "STREAMS", key, "0");
    return { read, immediate: Date.now() - started < 1_000 };
  },

  "XREADGROUP BLOCK is unblocked with an error when the stream is deleted": async (client, ctx) => {
    const key = ctx.key("s");
    await client.xgroup("CREATE", key, "g", "$", "MKSTREAM");
    const reader = await ctx.blockingReader();
    const read = ctx.attempt(
      reader.xreadgroup("GROUP", "g", "c", "BLOCK", 5_000, "STREAMS", key, ">"),
    );
    await ctx.untilBlocked(1);
    await client.del(key);
    return read;
  },

  "XREADGROUP BLOCK is unblocked with NOGROUP when its group is destroyed": async (client, ctx) => {
    const key = ctx.key("s");
    await client.xgroup("CREATE", key, "g", "$", "MKSTREAM");
    const reader = await ctx.blockingReader();
    const read = ctx.attempt(
      reader.xreadgroup("GROUP", "g", "c", "BLOCK", 5_000, "STREAMS", key, ">"),
    );
    await ctx.untilBlocked(1);
    await client.xgroup("DESTROY", key, "g");
    return read;
  },

  "XREADGROUP BLOCK 0 waits for a worker's next job like the guide's worker loop": async (
    client,
    ctx,
  ) => {
    const key = ctx.key("work_queue");
    await client.xgroup("CREATE", key, "workers", "0", "MKSTREAM");
    const worker = await ctx.blockingReader();
    const jobs: unknown[] = [];
    const loop = (async () => {
      for (let round = 0; round < 3; round++) {
        const reply = await worker.xreadgroup(
          "GROUP",
          "workers",
          "worker_0",
          "COUNT",
          1,
          "BLOCK",
          0,
          "STREAMS",
          key,
          ">",
        );
        const entries = (reply as [string, [string, string[]][]][] | null)?.[0]?.[1] ?? [];
        for (const [id, fields] of entries) {
          jobs.push(fields);
          await worker.xack(key, "workers", id);
        }
      }
    })();
    for (let index = 0; index < 3; index++) {
      await ctx.untilBlocked(1);
      await client.xadd(key, "*", "task_id", `${index}`, "data", `work_item_${index}`);
    }
    await loop;
    return { jobs, pending: await client.xpending(key, "workers") };
  },
});
