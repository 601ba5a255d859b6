import { ArchiveSchemaError } from "@streamstore/core";
import type { Sql, TransactionSql } from "postgres";

/**
 * The version of the archive's tables this package reads and writes, recorded in the meta table
 * (`<table>_meta`, row `schema_version`). A database recording another one is refused with
 * `ArchiveSchemaError` before anything is read or written.
 *
 * @example
 * console.log(ARCHIVE_SCHEMA_VERSION); // 1
 */
export const ARCHIVE_SCHEMA_VERSION = 1;

/**
 * Where an archive lives: a schema and a table in it (validated identifiers).
 *
 * @example
 * const names: ArchiveTableNames = { schema: "public", table: "streamstore_events" };
 */
export interface ArchiveTableNames {
  schema: string;
  table: string;
}

/**
 * The quoted, qualified names of an archive's events table and meta table.
 *
 * @example
 * qualifiedNames({ schema: "public", table: "streamstore_events" }).events; // '"public"."streamstore_events"'
 */
export function qualifiedNames(names: ArchiveTableNames): { events: string; meta: string } {
  return {
    events: `"${names.schema}"."${names.table}"`,
    meta: `"${names.schema}"."${names.table}_meta"`,
  };
}

/** The DDL of schema version 1: one plain row per archived event. */
function createStatements(names: ArchiveTableNames): string[] {
  const { events, meta } = qualifiedNames(names);
  return [
    `CREATE TABLE ${meta} (name text PRIMARY KEY, value text NOT NULL)`,
    `INSERT INTO ${meta} (name, value) VALUES ('schema_version', '${ARCHIVE_SCHEMA_VERSION}')`,
    `CREATE TABLE ${events} (
      category text NOT NULL,
      partition integer NOT NULL,
      position_ms bigint NOT NULL,
      position_seq bigint NOT NULL,
      stream text NOT NULL,
      version bigint NOT NULL,
      event_id text NOT NULL,
      type text NOT NULL,
      data json NOT NULL,
      metadata json,
      schema_version integer NOT NULL,
      recorded_at timestamptz GENERATED ALWAYS AS (to_timestamp(position_ms / 1000.0)) STORED,
      PRIMARY KEY (category, partition, position_ms, position_seq),
      UNIQUE (stream, version)
    )`,
    `COMMENT ON TABLE ${events} IS 'streamstore archive (schema version ${ARCHIVE_SCHEMA_VERSION}): one row per event moved out of Redis by the archiver; data and metadata are the exact JSON text appended. Written by @streamstore/archive.'`,
  ];
}

type Found =
  | { state: "ready" }
  | { state: "missing" }
  | { state: "refused"; foundVersion: number | undefined; reason: string };

/** What the database holds for this archive; no statement fails, so it can run in a transaction. */
async function inspect(sql: Sql | TransactionSql, names: ArchiveTableNames): Promise<Found> {
  const { meta } = qualifiedNames(names);
  // pg_class through a query, not to_regclass(): a process that waited on the advisory lock must
  // see the tables another one just committed, and the catalog cache behind to_regclass() may not.
  const [tables] = await sql.unsafe<{ meta: boolean; events: boolean }[]>(
    `SELECT bool_or(c.relname = $2) AS events, bool_or(c.relname = $3) AS meta
     FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relname IN ($2, $3)`,
    [names.schema, names.table, `${names.table}_meta`],
  );
  if (!tables?.meta) {
    if (tables?.events)
      return {
        state: "refused",
        foundVersion: undefined,
        reason: `exists but was not created by @streamstore/archive (it has no ${names.table}_meta table): choose another \`table\` (or \`schema\`), or rename that table`,
      };
    return { state: "missing" };
  }
  const rows = await sql.unsafe<{ value: string; encoding: string }[]>(
    `SELECT value, current_setting('server_encoding') AS encoding FROM ${meta} WHERE name = 'schema_version'`,
  );
  const [row] = rows;
  if (!row)
    return {
      state: "refused",
      foundVersion: undefined,
      reason: `has a ${names.table}_meta table without its schema_version row: restore that row (value ${ARCHIVE_SCHEMA_VERSION} if the table was made by this version), or choose another \`table\``,
    };
  const version = Number(row.value);
  if (version !== ARCHIVE_SCHEMA_VERSION)
    return {
      state: "refused",
      foundVersion: Number.isSafeInteger(version) ? version : undefined,
      reason: `records archive schema version ${row.value}, and this @streamstore/archive reads and writes version ${ARCHIVE_SCHEMA_VERSION}: use the @streamstore/archive release that matches the database (every release names its schema version in the README), or give this store another \`table\``,
    };
  if (row.encoding !== "UTF8") return encodingRefused(row.encoding);
  return { state: "ready" };
}

const encodingRefused = (encoding: string): Found => ({
  state: "refused",
  foundVersion: undefined,
  reason: `is in a database whose encoding is ${encoding}, not UTF8: archived JSON is UTF-8 text that must come back unchanged; put the archive in a database created WITH ENCODING 'UTF8'`,
});

/**
 * Makes sure the archive's tables exist at {@link ARCHIVE_SCHEMA_VERSION}: reads the meta table
 * and, only when the tables are missing, creates them in one transaction under an advisory lock
 * (so two processes starting together do not race). Refuses a database recording another schema
 * version, a table of that name it did not create, or a database not in UTF8, with
 * `ArchiveSchemaError`.
 *
 * @example
 * await ensureArchiveSchema(sql, { schema: "public", table: "streamstore_events" });
 */
export async function ensureArchiveSchema(sql: Sql, names: ArchiveTableNames): Promise<void> {
  const label = `${names.schema}.${names.table}`;
  const refuse = (found: Extract<Found, { state: "refused" }>): never => {
    throw new ArchiveSchemaError(label, found.foundVersion, ARCHIVE_SCHEMA_VERSION, found.reason);
  };
  const found = await inspect(sql, names);
  if (found.state === "ready") return;
  if (found.state === "refused") refuse(found);
  await sql.begin(async (tx) => {
    // "already exists, skipping" notices would go to the pool's onnotice (console.log by default).
    await tx.unsafe("SET LOCAL client_min_messages = warning");
    await tx.unsafe("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [
      `streamstore archive ${label}`,
    ]);
    // Under the lock: another process may have created the tables meanwhile.
    const again = await inspect(tx, names);
    if (again.state === "ready") return;
    if (again.state === "refused") refuse(again);
    const [{ encoding } = { encoding: "" }] = await tx.unsafe<{ encoding: string }[]>(
      "SELECT current_setting('server_encoding') AS encoding",
    );
    if (encoding !== "UTF8")
      refuse(encodingRefused(encoding) as Extract<Found, { state: "refused" }>);
    await tx.unsafe(`CREATE SCHEMA IF NOT EXISTS "${names.schema}"`);
    for (const statement of createStatements(names)) await tx.unsafe(statement);
  });
}
