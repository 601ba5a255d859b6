import { InvalidArgumentError } from "../errors/index.js";

/**
 * Fails with a typed error unless `redis` is an ioredis client (a `Redis`, a `Cluster`, or the
 * in-memory fake, which subclasses `Redis`): every entry point that takes a client checks it
 * first, so a wrong value is refused at once rather than failing later as a TypeError.
 *
 * @example
 * assertRedisClient(options.redis);
 */
export function assertRedisClient(redis: unknown): void {
  if (!redis || typeof (redis as { defineCommand?: unknown }).defineCommand !== "function") {
    throw new InvalidArgumentError(
      "redis",
      "pass an ioredis client (new Redis(url) or new Cluster(nodes)) or createFakeRedis().",
    );
  }
}
