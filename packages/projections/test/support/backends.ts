import { randomBytes } from "node:crypto";
import { createFakeRedis } from "@streamstore/testing";
import { Redis } from "ioredis";
import { inject } from "vitest";

/** A Redis to run a suite on: the private redis-server of the run, or the in-memory fake. */
export interface TestBackend {
  name: string;
  /** A new client on the backend's data (call `quit()` when done). */
  connect(): Redis;
  /** Whether separate OS processes can share this backend's data. */
  multiProcess: boolean;
  /** Its URL, for child processes (real Redis only). */
  url?: string;
}

/**
 * The backends every projection suite runs on: the run's real Redis and the in-memory fake of
 * @streamstore/testing (the suites are written against ioredis only).
 */
export function testBackends(): TestBackend[] {
  const url = inject("redisUrl");
  const backends: TestBackend[] = [
    {
      name: "redis",
      connect: () => new Redis(url, { maxRetriesPerRequest: null }),
      multiProcess: true,
      url,
    },
  ];
  // STREAMSTORE_BACKENDS=redis (or fake) narrows a local run to one backend.
  const only = process.env.STREAMSTORE_BACKENDS;
  if (only === "fake") backends.pop();
  if (only !== "redis") {
    const fake = createFakeRedis();
    backends.push({ name: "fake", connect: () => fake.duplicate(), multiProcess: false });
  }
  return backends;
}

/** A random key prefix: every test keeps to its own keys. */
export function randomPrefix(): string {
  return `t${randomBytes(5).toString("hex")}`;
}

/** Deletes the keys under `prefix` (and nothing else). */
export async function deleteKeysUnder(redis: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, found] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    cursor = next;
    if (found.length > 0) await redis.unlink(...found);
  } while (cursor !== "0");
}
