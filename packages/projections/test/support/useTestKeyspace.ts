import { type EventStore, getRedisEventStore, silentLogger } from "@streamstore/core";
import type { Redis } from "ioredis";
import { afterEach, beforeEach } from "vitest";
import { deleteKeysUnder, randomPrefix, type TestBackend } from "./backends.js";
import { bankEvents } from "./fixtures.js";

/** What {@link useTestKeyspace} gives each test of a suite: its own client and key prefix. */
export interface TestKeyspace {
  /** The current test's client on the backend (quit after the test). */
  readonly redis: Redis;
  /** The current test's random key prefix: its keys are deleted after the test, nothing else. */
  readonly prefix: string;
  /** Runners (projections, reactors) to stop after the test, before its keys are deleted. */
  readonly runners: { stop(): Promise<unknown> }[];
  /** More clients the test opened, disconnected after it. */
  readonly clients: Redis[];
  /**
   * A store of the bank events on the test's client and prefix. No server check: the fake has no
   * INFO persistence to check, and the real server of the run is not the one under test.
   */
  store(options?: { partitions?: number }): EventStore<typeof bankEvents>;
}

/**
 * Registers, in the calling `describe`, a fresh client and prefix before each test and the
 * clean-up after it (runners stopped first, so that none writes after its keys are deleted).
 *
 * @example
 * describe.each(testBackends())("startProjection on $name", (backend) => {
 *   const keyspace = useTestKeyspace(backend);
 *   it("applies every event once", async () => {
 *     const { redis, prefix } = keyspace;
 *     const store = keyspace.store({ partitions: 2 });
 *   });
 * });
 */
export function useTestKeyspace(backend: TestBackend): TestKeyspace {
  let current: { redis: Redis; prefix: string } | undefined;
  const runners: { stop(): Promise<unknown> }[] = [];
  const clients: Redis[] = [];
  const now = () => {
    if (!current) throw new Error("[streamstore] the test keyspace exists only inside a test");
    return current;
  };

  beforeEach(() => {
    current = { redis: backend.connect(), prefix: randomPrefix() };
  });

  afterEach(async () => {
    const { redis, prefix } = now();
    await Promise.all(runners.splice(0).map((runner) => runner.stop()));
    for (const client of clients.splice(0)) client.disconnect();
    await deleteKeysUnder(redis, prefix);
    await redis.quit();
    current = undefined;
  });

  return {
    get redis() {
      return now().redis;
    },
    get prefix() {
      return now().prefix;
    },
    runners,
    clients,
    store: ({ partitions } = {}) =>
      getRedisEventStore({
        redis: now().redis,
        events: bankEvents,
        prefix: now().prefix,
        ...(partitions === undefined ? {} : { partitions }),
        serverCheck: "off",
        logger: silentLogger,
      }),
  };
}
