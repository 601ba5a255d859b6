import { randomBytes } from "node:crypto";
import postgres from "postgres";

/**
 * The PostgreSQL the tests use (its `postgres` database is only used to create and drop theirs).
 *
 * @example
 * STREAMSTORE_PG_URL=postgres://me@db:5432/postgres pnpm vitest run packages/archive
 */
export const ADMIN_URL =
  process.env.STREAMSTORE_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/**
 * A database of one test file's own.
 *
 * @example
 * const archive = createPostgresArchive({ connectionString: database.url });
 */
export interface TestDatabase {
  name: string;
  url: string;
  /** Drops the database (and ends any connection still open to it). */
  drop(): Promise<void>;
}

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
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: false });
  try {
    await admin.unsafe(`CREATE DATABASE ${name} ENCODING 'UTF8' TEMPLATE template0`);
  } finally {
    await admin.end();
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.href,
    async drop() {
      const dropper = postgres(ADMIN_URL, { max: 1, onnotice: false });
      try {
        await dropper.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await dropper.end();
      }
    },
  };
}
