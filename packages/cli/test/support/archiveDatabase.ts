import { createPostgresTestDatabase } from "@streamstore/testing";
import postgres, { type Sql } from "postgres";

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
 * Creates a database `streamstore_t_<random>` for one test file, with a client on it; `drop()`
 * it in afterAll. No test touches any other database.
 *
 * @example
 * const database = await createTestDatabase();
 * afterAll(() => database.drop());
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const database = await createPostgresTestDatabase({ password: TEST_PASSWORD });
  const sql = postgres(database.url, { max: 2, onnotice: () => {} });
  return {
    name: database.name,
    url: database.url,
    sql,
    async drop() {
      await sql.end({ timeout: 5 });
      await database.drop();
    },
  };
}

export { until, waitForRedisTime } from "@streamstore/testing/internal";
