import type { Redis } from "ioredis";

/**
 * One numeric field of Redis `INFO <section>`, e.g. `used_memory` of `memory`.
 *
 * @example
 * const bytes = await infoNumber(redis, "memory", "used_memory");
 */
export async function infoNumber(redis: Redis, section: string, field: string): Promise<number> {
  const text = await redis.info(section);
  const match = new RegExp(`^${field}:([\\d.]+)`, "m").exec(text);
  if (!match) throw new Error(`INFO ${section} has no ${field}`);
  return Number(match[1]);
}

/**
 * CPU seconds redis-server has used so far (user + system, all its threads).
 *
 * @example
 * const before = await redisCpuSeconds(admin);
 */
export async function redisCpuSeconds(redis: Redis): Promise<number> {
  const text = await redis.info("cpu");
  const user = Number(/^used_cpu_user:([\d.]+)/m.exec(text)?.[1]);
  const system = Number(/^used_cpu_sys:([\d.]+)/m.exec(text)?.[1]);
  return user + system;
}

/**
 * The redis-server version, e.g. `"7.0.15"`.
 *
 * @example
 * const version = await redisVersion(admin);
 */
export async function redisVersion(redis: Redis): Promise<string | undefined> {
  return /redis_version:(\S+)/.exec(await redis.info("server"))?.[1];
}

/**
 * INFO commandstats: calls and µs of each command since the last CONFIG RESETSTAT.
 *
 * @example
 * const fcall = (await commandStats(admin)).fcall;
 */
export async function commandStats(
  redis: Redis,
): Promise<Record<string, { calls: number; usec: number }>> {
  const stats: Record<string, { calls: number; usec: number }> = {};
  for (const line of (await redis.info("commandstats")).split("\n")) {
    const match = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line);
    if (match) stats[match[1] as string] = { calls: Number(match[2]), usec: Number(match[3]) };
  }
  return stats;
}
