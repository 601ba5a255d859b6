import type { Cluster, Redis } from "ioredis";

/**
 * Redis's clock (`TIME`) in ms: the time Redis puts in the entry ids it assigns, which is what an
 * archiver's age limits compare with, not this process's clock.
 *
 * @example
 * const now = await redisTimeMs(redis);
 */
export async function redisTimeMs(redis: Redis | Cluster): Promise<number> {
  const [seconds, micros] = (await redis.time()) as [string | number, string | number];
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

/**
 * Resolves once Redis's clock is past `ms` (e.g. an entry id's time plus an archiver's minimum
 * age), polling `TIME` every 20 ms: a condition, never a fixed sleep. Rejects after `timeoutMs`.
 *
 * @example
 * await waitForRedisTimePast(redis, newestAppendMs + 1000);
 */
export async function waitForRedisTimePast(
  redis: Redis | Cluster,
  ms: number,
  { timeoutMs = 30_000 }: { timeoutMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await redisTimeMs(redis)) <= ms) {
    if (Date.now() > deadline) {
      throw new Error(`[streamstore] Redis's clock did not pass ${ms} within ${timeoutMs} ms.`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Resolves once `ms` have passed on Redis's clock from now (see {@link waitForRedisTimePast}).
 *
 * @example
 * await waitForRedisTime(redis, 1000); // every entry appended before is now 1 s old
 */
export async function waitForRedisTime(
  redis: Redis | Cluster,
  ms: number,
  options: { timeoutMs?: number } = {},
): Promise<void> {
  await waitForRedisTimePast(redis, (await redisTimeMs(redis)) + ms, {
    timeoutMs: options.timeoutMs ?? ms + 30_000,
  });
}
