import { createFakeRedis } from "@streamstore/testing";
import { Redis } from "ioredis";

/** What a differential case runs against besides real Redis. */
export type DifferentialTargetKind = "fake" | "redis";

/**
 * The second side of every comparison: the fake, or (with
 * `STREAMSTORE_DIFFERENTIAL_TARGET=redis`) a second Redis connection, which proves that every
 * difference the normaliser lets through is a real one.
 */
export const differentialTargetKind: DifferentialTargetKind =
  process.env.STREAMSTORE_DIFFERENTIAL_TARGET === "redis" ? "redis" : "fake";

/**
 * A fresh client of the second side: a new, empty fake, or a new connection to the test Redis.
 *
 * @example
 * const client = createTargetClient(inject("redisUrl"));
 */
export function createTargetClient(redisUrl: string): Redis {
  return differentialTargetKind === "fake" ? createFakeRedis() : new Redis(redisUrl);
}
