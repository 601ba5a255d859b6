import type { Cluster, Redis } from "ioredis";

/**
 * The client commands work with: a `Redis` for a standalone server, an ioredis `Cluster` when the
 * URL names a node of a Redis Cluster. A Cluster routes each single-key command to the key's
 * primary; keyless commands (SCAN) reach one node, so send them to each of {@link serversOf}.
 *
 * @example
 * const redis: RedisClient = await context.redis();
 */
export type RedisClient = Redis | Cluster;

/**
 * Whether a {@link RedisClient} is an ioredis `Cluster`.
 *
 * @example
 * if (isCluster(redis)) console.log(`${redis.nodes("master").length} primaries`);
 */
export function isCluster(redis: RedisClient): redis is Cluster {
  return (redis as { isCluster?: boolean }).isCluster === true;
}

/**
 * The servers that together hold every key: the server itself, or each primary of a Cluster
 * (an ioredis `Cluster` sends a keyless SCAN to one random node, which would list a part of the
 * keys as all of them; issue 7).
 *
 * @example
 * for (const server of serversOf(redis)) await server.scan("0", "MATCH", "ss:*");
 */
export function serversOf(redis: RedisClient): Redis[] {
  return isCluster(redis) ? redis.nodes("master") : [redis];
}
