/** How many databases the fake has (Redis's default `databases 16`). */
export const DATABASE_COUNT = 16;

/**
 * The CONFIG values the fake starts with: Redis 7.0's defaults for what it reports (nothing is
 * persisted, so `appendonly no` and `save ""`).
 *
 * @example
 * ```ts
 * defaultConfig().get("maxmemory-policy"); // "noeviction"
 * ```
 */
export function defaultConfig(): Map<string, string> {
  return new Map([
    ["appendonly", "no"],
    ["appendfsync", "everysec"],
    ["save", ""],
    ["maxmemory", "0"],
    ["maxmemory-policy", "noeviction"],
    ["databases", String(DATABASE_COUNT)],
    ["stream-node-max-bytes", "4096"],
    ["stream-node-max-entries", "100"],
    ["notify-keyspace-events", ""],
    ["timeout", "0"],
    ["lua-time-limit", "5000"],
    ["busy-reply-threshold", "5000"],
    ["maxclients", "10000"],
    ["port", "6379"],
    ["bind", "127.0.0.1"],
  ]);
}
