import { defineFunctionLibrary, runFunction } from "@streamstore/core/internal";
import type { Redis } from "ioredis";
import { benchPayload } from "./benchEvents.js";

// The bare minimum an atomic append of storage layout 2 needs: read the version from the
// aggregate's index (STRLEN / 12), compare, one XADD per event into the category log (with the
// fields streamstore writes), then ONE APPEND of the events' 12-byte log positions to the index
// (ms and seq, 6 bytes each, packed by Redis's struct library). What bench:append and
// bench:telemetry measure streamstore against.
const BARE_SCRIPT = `#!lua
local current = redis.call("STRLEN", KEYS[1]) / 12
if ARGV[1] ~= "any" and tonumber(ARGV[1]) ~= current then return {"conflict", current} end
local n = tonumber(ARGV[3])
local records = {}
for k = 1, n do
  local o = 4 + (k - 1) * 3
  local p = redis.call("XADD", KEYS[2], "*", "i", ARGV[o], "t", ARGV[o + 1], "d", ARGV[o + 2], "a", ARGV[2], "v", current + k)
  local ms, seq = string.match(p, "^(%d+)%-(%d+)$")
  records[k] = struct.pack(">I6I6", tonumber(ms), tonumber(seq))
end
redis.call("APPEND", KEYS[1], table.concat(records))
return {"ok", current + n}
`;

// The bare minimum of the PREVIOUS layout (a Redis stream per aggregate beside the log, each
// event stored twice): the version from the aggregate stream's last id, two XADDs per event.
// Kept so that bench:append shows whether an append got cheaper or dearer for Redis.
const BARE_PREVIOUS_SCRIPT = `#!lua
local current = 0
local last = redis.call("XREVRANGE", KEYS[1], "+", "-", "COUNT", 1)
if #last > 0 then current = tonumber(string.match(last[1][1], "^(%d+)%-")) end
if ARGV[1] ~= "any" and tonumber(ARGV[1]) ~= current then return {"conflict", current} end
local n = tonumber(ARGV[3])
for k = 1, n do
  local o = 4 + (k - 1) * 3
  local v = current + k
  local p = redis.call("XADD", KEYS[2], "*", "i", ARGV[o], "t", ARGV[o + 1], "d", ARGV[o + 2], "a", ARGV[2], "v", v)
  redis.call("XADD", KEYS[1], v .. "-0", "i", ARGV[o], "t", ARGV[o + 1], "d", ARGV[o + 2], "p", p)
end
return {"ok", current + n}
`;

/**
 * Which bare script: `"index"`, storage layout 2's writes (the default), or `"previous"`, the
 * stream-per-aggregate layout's.
 */
export type BareLayout = "index" | "previous";

// Run as Redis Functions, as streamstore runs its own scripts (FCALL through ioredis \`call\`):
// both sides of a ratio pay the same invocation.
const BENCH_LIBRARY = defineFunctionLibrary("bench", {
  bare: BARE_SCRIPT,
  bare_previous: BARE_PREVIOUS_SCRIPT,
});

/**
 * Appends `count` events of {@link benchPayload} to stream `stream` under `prefix` with the bare
 * script of `layout`, expecting `version` (or `"any"`), as a Redis Function (loaded on first use).
 *
 * @example
 * await bareAppend(clients[0], "bare0", 7, 0, 1);
 * await bareAppend(clients[0], "old0", 7, 0, 1, "previous");
 */
export async function bareAppend(
  client: Redis,
  prefix: string,
  stream: number,
  version: number | "any",
  count: number,
  layout: BareLayout = "index",
): Promise<void> {
  const keys = [
    layout === "index" ? `${prefix}:{account:0}:i:${stream}` : `${prefix}:{account:0}:s:${stream}`,
    `${prefix}:{account:0}:log`,
  ];
  const args: (string | number)[] = [version, String(stream), count];
  for (let k = 0; k < count; k++)
    args.push(crypto.randomUUID(), "Deposited", JSON.stringify(benchPayload));
  const fn =
    layout === "index" ? BENCH_LIBRARY.functions.bare : BENCH_LIBRARY.functions.bare_previous;
  await runFunction(client, BENCH_LIBRARY, fn, keys, args);
}
