import type { Redis } from "ioredis";
import { benchPayload } from "./benchEvents.js";

// The bare minimum an atomic append needs: read the version, compare, two XADDs per event (with
// the fields streamstore writes). What bench:append and bench:telemetry measure streamstore against.
const BARE_SCRIPT = `
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
 * Defines the `bareAppend` command (the bare script) on a client; call once per client.
 *
 * @example
 * for (const client of clients) defineBareAppend(client);
 */
export function defineBareAppend(client: Redis): void {
  client.defineCommand("bareAppend", { numberOfKeys: 2, lua: BARE_SCRIPT });
}

/**
 * Appends `count` events of {@link benchPayload} to stream `stream` under `prefix` with the bare
 * script, expecting `version` (or `"any"`). The client must have {@link defineBareAppend} run.
 *
 * @example
 * await bareAppend(clients[0], "bare0", 7, 0, 1);
 */
export async function bareAppend(
  client: Redis,
  prefix: string,
  stream: number,
  version: number | "any",
  count: number,
): Promise<void> {
  const args: (string | number)[] = [
    `${prefix}:{account:0}:s:${stream}`,
    `${prefix}:{account:0}:log`,
    version,
    String(stream),
    count,
  ];
  for (let k = 0; k < count; k++)
    args.push(crypto.randomUUID(), "Deposited", JSON.stringify(benchPayload));
  await (client as unknown as { bareAppend(...a: unknown[]): Promise<unknown> }).bareAppend(
    ...args,
  );
}
