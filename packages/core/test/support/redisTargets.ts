import { createFakeRedis } from "@streamstore/testing";
import { Redis } from "ioredis";
import { inject } from "vitest";

/** Where a suite runs: a real redis-server, or the in-memory fake. */
export interface RedisTarget {
  readonly name: string;
  open(): Redis;
}

/**
 * The three places a script-backed suite must agree on: the private redis-server of the test
 * setup, the fake with core's script twins, and the fake running the Lua itself.
 *
 * @example
 * describe.each(REDIS_TARGETS)("trimArchived on $name", (target) => { ... });
 */
export const REDIS_TARGETS: readonly RedisTarget[] = [
  { name: "real Redis", open: () => new Redis(inject("redisUrl")) },
  { name: "the fake with script twins", open: () => createFakeRedis() },
  { name: "the fake running Lua", open: () => createFakeRedis({ scriptTwins: false }) },
];
