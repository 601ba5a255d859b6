import { createHash } from "node:crypto";
import type { Cluster, Redis } from "ioredis";

/** A read-only Lua script (`#!lua flags=no-writes`), run with `EVALSHA_RO`. */
export interface ReadOnlyScript {
  /** The script's SHA1, as `SCRIPT LOAD` would answer it. */
  readonly sha1: string;
  /** Runs the script: `EVALSHA_RO`, and `EVAL_RO` once when the server does not have it cached. */
  run(
    redis: Redis | Cluster,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown>;
}

/**
 * Wraps a read-only script so that it runs with `EVALSHA_RO`/`EVAL_RO` (Redis 7), which Redis
 * refuses to let write, routes to replicas like any read, and which an ACL can grant without
 * granting `EVAL`: the read-only operator role reads aggregates with it. ioredis's
 * `defineCommand` only sends `EVALSHA`/`EVAL`, hence this small twin of its NOSCRIPT fallback.
 *
 * @example
 * const script = readOnlyScript(VERSION_SCRIPT);
 * const [version] = (await script.run(redis, [indexKey], [])) as [number, number];
 */
export function readOnlyScript(lua: string): ReadOnlyScript {
  const sha1 = createHash("sha1").update(lua).digest("hex");
  return {
    sha1,
    async run(redis, keys, args) {
      try {
        return await redis.call("EVALSHA_RO", sha1, keys.length, ...keys, ...args);
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
        return redis.call("EVAL_RO", lua, keys.length, ...keys, ...args);
      }
    },
  };
}
