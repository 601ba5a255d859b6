// Shared by every example: where a run happens (the fake, or REDIS_URL) and whether it was started directly.
import { randomBytes } from "node:crypto";
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createFakeRedis } from "@streamstore/testing";
import { Redis } from "ioredis";

/** Where an example runs: the in-memory fake (default) or a real Redis (`REDIS_URL`). */
export interface Backend {
  /** `"in-memory fake"`, or the Redis URL without its password. */
  readonly name: string;
  readonly kind: "fake" | "redis";
  readonly redis: Redis;
  /** The key prefix of this run: fixed on the fake, unique per run on a shared real Redis. */
  readonly prefix: string;
  /** The fake has no server settings worth checking; a real Redis is checked once. */
  readonly serverCheck: "check" | "off";
  /** Deletes this run's keys (real Redis only: the fake just goes away) and disconnects. */
  close(): Promise<void>;
}

/**
 * Opens the backend of one run. On a real Redis every key lives under `<base>-<random>`, and
 * `close()` deletes exactly those keys, so a run never touches anybody else's data.
 *
 * `STREAMSTORE_EXAMPLE_PREFIX=<prefix>` (real Redis only) runs under that exact prefix instead and
 * keeps the keys at close: the CLI tests (issue 7) seed a Redis with the examples and then inspect
 * it with `streamstore`; whoever sets it deletes the keys.
 *
 * @example
 * const backend = await openBackend("bank", process.env.REDIS_URL);
 */
export async function openBackend(base: string, redisUrl: string | undefined): Promise<Backend> {
  if (!redisUrl) {
    const redis = createFakeRedis();
    return {
      name: "in-memory fake",
      kind: "fake",
      redis,
      prefix: base,
      serverCheck: "off",
      close: async () => {
        await redis.quit();
      },
    };
  }
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  const kept = process.env.STREAMSTORE_EXAMPLE_PREFIX;
  const prefix = kept || `${base}-${randomBytes(4).toString("hex")}`;
  const url = new URL(redisUrl);
  url.password = "";
  url.username = "";
  return {
    name: url.toString(),
    kind: "redis",
    redis,
    prefix,
    serverCheck: "check",
    close: async () => {
      if (kept) {
        await redis.quit();
        return;
      }
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
        cursor = next;
        if (keys.length > 0) await redis.unlink(...keys);
      } while (cursor !== "0");
      await redis.quit();
    },
  };
}

/**
 * Whether the module at `moduleUrl` is the script node was started with (`tsx src/main.ts`),
 * rather than imported by a test or the tour.
 *
 * @example
 * if (isDirectRun(import.meta.url)) await main();
 */
export function isDirectRun(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}
