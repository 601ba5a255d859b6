import * as testing from "@streamstore/testing";
import { Redis } from "ioredis";

/** What a differential case runs against besides real Redis. */
export type DifferentialTargetKind = "fake" | "redis";

type FakeFactory = () => Redis;

/**
 * `createFakeRedis` is built in parallel with this suite: until it is exported, and whenever
 * `STREAMSTORE_DIFFERENTIAL_TARGET=redis` is set, the suite runs Redis against a second Redis
 * connection, which proves that every difference the normaliser lets through is a real one.
 */
function findFakeFactory(): FakeFactory | undefined {
  const factory = (testing as unknown as Record<string, unknown>).createFakeRedis;
  return typeof factory === "function" ? (factory as FakeFactory) : undefined;
}

/** The kind of the second side of every comparison in this run. */
export const differentialTargetKind: DifferentialTargetKind =
  process.env.STREAMSTORE_DIFFERENTIAL_TARGET === "redis" || findFakeFactory() === undefined
    ? "redis"
    : "fake";

/**
 * A fresh client of the second side: a new, empty fake, or a new connection to the test Redis.
 *
 * @example
 * const client = createTargetClient(inject("redisUrl"));
 */
export function createTargetClient(redisUrl: string): Redis {
  const factory = findFakeFactory();
  if (differentialTargetKind === "fake" && factory) return factory();
  return new Redis(redisUrl);
}
