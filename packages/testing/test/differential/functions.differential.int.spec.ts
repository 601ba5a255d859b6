import { defineFunctionLibrary } from "@streamstore/core/internal";
import type { Redis } from "ioredis";
import { defineDifferentialSuite } from "./support/defineDifferentialSuite.js";

// Redis Functions (issue 14): FUNCTION LOAD/LIST/DELETE and FCALL/FCALL_RO, as the toolkit uses
// them (https://redis.io/docs/latest/develop/interact/programmability/functions-intro/). The fake
// loads libraries in the layout of core's defineFunctionLibrary (see the @streamstore/testing
// README, "Redis Functions"). Libraries are global to a server: each case loads one of its own
// (its name carries its code's hash) and deletes it, never touching any other.

const library = defineFunctionLibrary("difftest", {
  put: `#!lua
redis.call("SET", KEYS[1], ARGV[1])
return redis.call("GET", KEYS[1])
`,
  get: `#!lua flags=no-writes
return {#KEYS, #ARGV, redis.call("GET", KEYS[1])}
`,
});
const { get, put } = library.functions;

// FUNCTION LIST gives a library's functions in the order of a dict of Redis's, whose hash seed is
// random per server process: unspecified, so both sides are compared with functions by name.
function byFunctionName(listed: unknown): unknown {
  return (listed as unknown[][]).map((library) =>
    library.map((field, index) =>
      library[index - 1] === "functions"
        ? [...(field as unknown[][])].sort((a, b) => String(a[1]).localeCompare(String(b[1])))
        : field,
    ),
  );
}

async function withLibrary<Value>(client: Redis, run: () => Promise<Value>): Promise<Value> {
  try {
    return await run();
  } finally {
    await client.call("FUNCTION", "DELETE", library.name).catch(() => undefined);
  }
}

defineDifferentialSuite("Redis Functions", {
  "FUNCTION LOAD answers the library's name, refuses it twice, and replaces it with REPLACE":
    async (client, ctx) =>
      withLibrary(client, async () => [
        await client.call("FUNCTION", "LOAD", library.code),
        await ctx.attempt(client.call("FUNCTION", "LOAD", library.code)),
        await client.call("FUNCTION", "LOAD", "REPLACE", library.code),
        await ctx.attempt(client.call("FUNCTION", "LOAD", "#!lua\nreturn 1")),
      ]),

  "FCALL runs a function with its keys and arguments; FCALL_RO runs the no-writes ones only":
    async (client, ctx) =>
      withLibrary(client, async () => {
        await client.call("FUNCTION", "LOAD", library.code);
        const key = ctx.key("k");
        return [
          await client.call("FCALL", put.name, 1, key, "v1"),
          await client.call("FCALL_RO", get.name, 1, key, "a", "b"),
          await client.call("FCALL", get.name, 1, key),
          await ctx.attempt(client.call("FCALL_RO", put.name, 1, key, "v2")),
          await client.get(key),
          await ctx.attempt(client.call("FCALL", put.name, 3, key)),
          await ctx.attempt(client.call("FCALL", put.name, -1, key)),
        ];
      }),

  "FCALL of a function no library holds says it is not found": async (client, ctx) => [
    await ctx.attempt(client.call("FCALL", "streamstore_nothing_here", 0)),
    await ctx.attempt(client.call("FCALL_RO", "streamstore_nothing_here", 0)),
  ],

  "FUNCTION LIST shows a library's functions and flags, its code WITHCODE; DELETE removes it":
    async (client, ctx) =>
      withLibrary(client, async () => {
        await client.call("FUNCTION", "LOAD", library.code);
        const listed = [
          byFunctionName(await client.call("FUNCTION", "LIST", "LIBRARYNAME", library.name)),
          byFunctionName(
            await client.call("FUNCTION", "LIST", "LIBRARYNAME", library.name, "WITHCODE"),
          ),
        ];
        return [
          ...listed,
          await client.call("FUNCTION", "DELETE", library.name),
          await ctx.attempt(client.call("FUNCTION", "DELETE", library.name)),
          await client.call("FUNCTION", "LIST", "LIBRARYNAME", library.name),
          await ctx.attempt(client.call("FCALL", put.name, 1, ctx.key("k"), "v")),
        ];
      }),
});
