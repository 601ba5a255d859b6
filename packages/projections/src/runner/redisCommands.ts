import type { Cluster, Redis } from "ioredis";

/** An argument, or a list of them (ioredis flattens it: no spread of a user-sized list). */
type Argument = string | number | readonly (string | number)[];

type AnyCommand = (...args: Argument[]) => Promise<unknown>;

/**
 * Sends a command through ioredis's named method (so the in-memory fake, which implements the
 * same methods, needs no `call`). Keeps ioredis's many overloads out of the runner.
 *
 * @example
 * await sendCommand(redis, "xack", logKey, group, "1-0");
 */
export function sendCommand(
  redis: Redis | Cluster,
  name: string,
  ...args: Argument[]
): Promise<unknown> {
  const method = (redis as unknown as Record<string, AnyCommand>)[name];
  if (typeof method !== "function") {
    return Promise.reject(new Error(`[streamstore] this Redis client has no "${name}" command`));
  }
  return method.apply(redis, args);
}

/**
 * Turns a flat `[name, value, ...]` reply (XINFO) into a map.
 *
 * @example
 * const info = pairs(await sendCommand(redis, "xinfo", "STREAM", key) as unknown[]);
 */
export function pairs(reply: unknown): Map<string, unknown> {
  const map = new Map<string, unknown>();
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) map.set(String(reply[i]), reply[i + 1]);
  } else if (reply instanceof Map) {
    for (const [key, value] of reply) map.set(String(key), value);
  } else if (reply && typeof reply === "object") {
    for (const [key, value] of Object.entries(reply)) map.set(key, value);
  }
  return map;
}

/**
 * The servers that together hold every key, for a keyless command such as SCAN: the client
 * itself, or each primary of an ioredis `Cluster` (which would send it to one random node, and so
 * see only that node's keys; issue 7).
 *
 * @example
 * for (const server of serversOf(redis)) await server.scan("0", "MATCH", pattern);
 */
export function serversOf(redis: Redis | Cluster): Redis[] {
  return (redis as { isCluster?: boolean }).isCluster === true
    ? (redis as Cluster).nodes("master")
    : [redis as Redis];
}
