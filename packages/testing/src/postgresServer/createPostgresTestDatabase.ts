import { randomBytes } from "node:crypto";

/** A database of one test file's own, from {@link createPostgresTestDatabase}. */
export interface PostgresTestDatabase {
  name: string;
  /** Its URL (with `password` in it when one was given). */
  url: string;
  /** Drops the database, ending any connection still open to it. */
  drop(): Promise<void>;
}

/** Options of {@link createPostgresTestDatabase}. */
export interface PostgresTestDatabaseOptions {
  /**
   * A database of the server to connect to for CREATE and DROP DATABASE. Default
   * `STREAMSTORE_PG_URL`, else `postgres://postgres@127.0.0.1:5432/postgres`.
   */
  adminUrl?: string;
  /** A password to put in the returned URL (trust authentication ignores it): to check masking. */
  password?: string;
}

/**
 * Creates a database `streamstore_t_<random>` (UTF8) for one test file; `drop()` it in afterAll.
 * Touches no other database. Needs the `postgres` package (an optional peer dependency).
 *
 * @example
 * const database = await createPostgresTestDatabase();
 * afterAll(() => database.drop());
 * const archive = createPostgresArchive({ connectionString: database.url });
 */
export async function createPostgresTestDatabase(
  options: PostgresTestDatabaseOptions = {},
): Promise<PostgresTestDatabase> {
  const adminUrl =
    options.adminUrl ??
    process.env.STREAMSTORE_PG_URL ??
    "postgres://postgres@127.0.0.1:5432/postgres";
  const { default: postgres } = await import("postgres");
  const name = `streamstore_t_${randomBytes(6).toString("hex")}`;
  const run = async (statement: string) => {
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 });
    try {
      await admin.unsafe(statement);
    } finally {
      await admin.end({ timeout: 5 });
    }
  };
  try {
    await run(`CREATE DATABASE ${name} ENCODING 'UTF8' TEMPLATE template0`);
  } catch (error) {
    const shown = new URL(adminUrl);
    if (shown.password) shown.password = "***";
    throw new Error(
      `[streamstore] the PostgreSQL tests need a server at ${shown.href} (trust auth for its user, or a password in the URL): ${(error as Error).message}. Install and start PostgreSQL (in this repository "pnpm test:all" does; see "Running the tests" in its README), or set STREAMSTORE_PG_URL to a server of yours.`,
      { cause: error },
    );
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  if (options.password !== undefined) url.password = options.password;
  return {
    name,
    url: url.href,
    drop: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}
