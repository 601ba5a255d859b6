import type { Redis } from "ioredis";
import {
  type DifferentialContext,
  defineDifferentialSuite,
} from "./support/defineDifferentialSuite.js";

// `client.call(...)` with numeric arguments (COUNT 1, not "1"), on the default RESP3 connection
// and on a RESP2 one (`protocol: 2`): the reply shapes of XREAD/XREADGROUP differ between the
// protocols (RESP3 answers a map, which ioredis's legacy mapping flattens to [key, entries, ...];
// RESP2 an array of [key, entries] pairs), never with how the numbers were passed (issue 13).

async function seed(client: Redis, key: string): Promise<void> {
  for (const id of ["1-0", "2-0", "3-0"]) await client.xadd(key, id, "n", id);
  await client.xgroup("CREATE", key, "g", "0");
}

/** The same reads with numbers and with strings, on one connection. */
async function reads(
  client: Redis,
  ctx: DifferentialContext,
  key: string,
  other: string,
): Promise<unknown> {
  return {
    readgroupNumber: await client.call(
      "XREADGROUP",
      "GROUP",
      "g",
      "c",
      "COUNT",
      1,
      "STREAMS",
      key,
      ">",
    ),
    readgroupString: await client.call(
      "XREADGROUP",
      "GROUP",
      "g",
      "c",
      "COUNT",
      "1",
      "STREAMS",
      key,
      ">",
    ),
    readgroupHistory: await client.call(
      "XREADGROUP",
      "GROUP",
      "g",
      "c",
      "COUNT",
      5,
      "STREAMS",
      key,
      0,
    ),
    readgroupThird: await client.call(
      "XREADGROUP",
      "GROUP",
      "g",
      "c",
      "COUNT",
      1,
      "STREAMS",
      key,
      ">",
    ),
    readNumber: await client.call("XREAD", "COUNT", 2, "STREAMS", key, 0),
    readTwoStreams: await client.call("XREAD", "COUNT", 1, "STREAMS", key, other, 0, 0),
    readNothing: await client.call("XREAD", "COUNT", 1, "STREAMS", key, "3-0"),
    rangeNumber: await client.call("XRANGE", key, "-", "+", "COUNT", 2),
    revrangeNumber: await client.call("XREVRANGE", key, "+", "-", "COUNT", 1),
    ack: await client.call("XACK", key, "g", "1-0", 2),
    len: await client.call("XLEN", key),
    pendingNumber: ctx.pendingRows(await client.call("XPENDING", key, "g", "-", "+", 10)),
    zrangeWithScores: await client.call("ZRANGE", `${other}:z`, 0, -1, "WITHSCORES"),
    xreadMethod: await client.xread("COUNT", 1, "STREAMS", key, 0),
  };
}

async function seedOther(client: Redis, other: string): Promise<void> {
  await client.xadd(other, "5-0", "n", "5");
  await client.zadd(`${other}:z`, 1.5, "a", 2, "b");
}

defineDifferentialSuite("call() with numeric arguments", {
  "XREADGROUP, XREAD, XRANGE... through call() with numbers, on the default (RESP3) connection":
    async (client, ctx) => {
      const key = ctx.key("s");
      await seed(client, key);
      await seedOther(client, ctx.key("o"));
      return reads(client, ctx, key, ctx.key("o"));
    },

  "the same through call() on a RESP2 connection (protocol: 2), where XREAD answers [[key, entries]]":
    async (client, ctx) => {
      const key = ctx.key("s");
      await seed(client, key);
      await seedOther(client, ctx.key("o"));
      return reads(ctx.duplicate({ protocol: 2 }), ctx, key, ctx.key("o"));
    },

  // Whether the XADD reaches the server before or after the read blocks, the read answers the
  // same entry: no wait is needed.
  "a blocking XREADGROUP through call() on a RESP2 connection, answered by an XADD": async (
    client,
    ctx,
  ) => {
    const key = ctx.key("s");
    await seed(client, key);
    const reader = ctx.duplicate({ protocol: 2 });
    await reader.call("XREADGROUP", "GROUP", "g", "c", "COUNT", 10, "STREAMS", key, ">");
    const blocked = reader.call(
      "XREADGROUP",
      "GROUP",
      "g",
      "c",
      "BLOCK",
      5000,
      "COUNT",
      1,
      "STREAMS",
      key,
      ">",
    );
    await client.xadd(key, "9-0", "n", "9");
    return blocked;
  },
});
