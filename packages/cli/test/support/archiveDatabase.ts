import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import postgres, { type Sql } from "postgres";

/** The PostgreSQL the tests use: its `postgres` database only creates and drops theirs. */
export const ADMIN_URL =
  process.env.STREAMSTORE_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** A database of one test file's own. */
export interface TestDatabase {
  name: string;
  /** Its URL, with a password that trust authentication ignores (so masking can be checked). */
  url: string;
  /** A postgres.js client on it, for the test's own queries; ended by `drop()`. */
  sql: Sql;
  /** Ends the client and drops the database (and any connection still open to it). */
  drop(): Promise<void>;
}

/** The password every test database URL carries: it must never appear in the CLI's output. */
export const TEST_PASSWORD = "pw-s3cret-archive";

/**
 * Creates a database `streamstore_t_<random>` (UTF8) for one test file; `drop()` it in afterAll.
 * No test touches any other database.
 *
 * @example
 * const database = await createTestDatabase();
 * afterAll(() => database.drop());
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `streamstore_t_${randomBytes(6).toString("hex")}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE DATABASE ${name} ENCODING 'UTF8' TEMPLATE template0`);
  } finally {
    await admin.end();
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  url.password = TEST_PASSWORD;
  const sql = postgres(url.href, { max: 2, onnotice: () => {} });
  return {
    name,
    url: url.href,
    sql,
    async drop() {
      await sql.end({ timeout: 5 });
      const dropper = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
      try {
        await dropper.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await dropper.end();
      }
    },
  };
}

/**
 * Waits until Redis's clock is `ms` past what it is now (log positions carry Redis's time, and
 * the archiver never archives an event younger than its minimum age): polls the condition.
 *
 * @example
 * await waitForRedisTime(redis, 1100);
 */
export async function waitForRedisTime(redis: Redis, ms: number): Promise<void> {
  const now = async () => {
    const [seconds, micros] = await redis.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  };
  const target = (await now()) + ms;
  const deadline = Date.now() + ms + 10_000;
  while ((await now()) <= target) {
    if (Date.now() > deadline) throw new Error("Redis's clock did not move");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Resolves once `condition` holds, polling every 25 ms; rejects with `what` after `timeoutMs`.
 *
 * @example
 * await until(async () => (await redis.get(leaseKey)) !== null, "the archiver's lease");
 */
export async function until(
  condition: () => Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
