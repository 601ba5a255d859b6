import {
  ArchiveConflictError,
  type ArchivedEntry,
  type ArchivePartitionRequest,
  type ArchivePartitionStats,
  type ArchiveStreamRequest,
  ArchiveUnavailableError,
  type EventArchive,
  InvalidArgumentError,
  isStreamstoreError,
} from "@streamstore/core";
import {
  checkArchiveLastPosition,
  checkArchivePartitionRead,
  checkArchiveStreamRead,
  checkArchiveWrite,
  parsePosition,
} from "@streamstore/core/internal";
import postgres, { type Sql } from "postgres";
import { maskConnectionString, targetOfSql } from "./archiveTarget.js";
import { ensureArchiveSchema, qualifiedNames } from "./ensureArchiveSchema.js";
import { unavailableReason } from "./unavailableReason.js";

/**
 * Options of {@link createPostgresArchive}: `connectionString` or `sql`, not both.
 *
 * @example
 * const options: PostgresArchiveOptions = { sql: postgres(url, { prepare: false }), table: "shop_events" };
 */
export interface PostgresArchiveOptions {
  /**
   * `postgres://user:password@host:5432/database`: the archive opens its own pool (postgres.js)
   * and ends it on `close()`.
   */
  connectionString?: string;
  /** A postgres.js instance (`postgres(...)`) to use instead; the archive never ends it. */
  sql?: Sql;
  /** The PostgreSQL schema of the archive's tables. Default `public`. */
  schema?: string;
  /** The events table; its meta table is `<table>_meta`. Default `streamstore_events`. */
  table?: string;
  /** With `connectionString`: seconds to wait for a connection before `ArchiveUnavailableError`. Default 10. */
  connectTimeoutSeconds?: number;
  /** With `connectionString`: the pool's most connections. Default 4. */
  maxConnections?: number;
}

/**
 * The defaults of {@link PostgresArchiveOptions}.
 *
 * @example
 * console.log(DEFAULT_POSTGRES_ARCHIVE_OPTIONS.table); // "streamstore_events"
 */
export const DEFAULT_POSTGRES_ARCHIVE_OPTIONS = {
  schema: "public",
  table: "streamstore_events",
  connectTimeoutSeconds: 10,
  maxConnections: 4,
} as const;

const IDENTIFIER = /^[A-Za-z0-9_]+$/;
// PostgreSQL identifiers have at most 63 bytes, and the meta table adds "_meta".
const MAX_TABLE_LENGTH = 58;
const INT8_MAX = "9223372036854775807";
const UNIQUE_VIOLATION = "23505";

/**
 * The columns read back, all as text: the JSON exactly as stored, numbers without parsing. (The
 * aliases shadow the columns in ORDER BY: order by the qualified column.)
 */
const ROW = `category, partition::text AS partition, position_ms::text || '-' || position_seq::text AS position,
  stream, version::text AS version, event_id, type, data::text AS data, metadata::text AS metadata,
  schema_version::text AS schema_version`;
interface Row {
  category: string;
  partition: string;
  position: string;
  stream: string;
  version: string;
  event_id: string;
  type: string;
  data: string;
  metadata: string | null;
  schema_version: string;
}
const entryOf = (row: Row): ArchivedEntry => ({
  category: row.category,
  partition: Number(row.partition),
  position: row.position,
  streamName: row.stream,
  version: Number(row.version),
  eventId: row.event_id,
  type: row.type,
  data: row.data,
  metadata: row.metadata ?? undefined,
  schemaVersion: Number(row.schema_version),
});
/** Keeps every value as the server's text: no JSON parsing, no custom types of a given pool. */
const asServerText = () => null;

function checkOptions(options: PostgresArchiveOptions): void {
  if (typeof options !== "object" || options === null)
    throw new InvalidArgumentError(
      "archive options",
      "pass { connectionString } or { sql }. See the @streamstore/archive README.",
    );
  const hasString = options.connectionString !== undefined;
  const hasSql = options.sql !== undefined;
  if (hasString === hasSql)
    throw new InvalidArgumentError(
      "archive options",
      `pass either connectionString or sql (a postgres.js instance), ${hasString ? "not both" : "one of them"}. See the @streamstore/archive README.`,
    );
  if (hasString && (typeof options.connectionString !== "string" || !options.connectionString))
    throw new InvalidArgumentError(
      "connectionString",
      'pass a URL like "postgres://user:password@host:5432/database".',
    );
  if (hasSql && (typeof options.sql !== "function" || typeof options.sql.begin !== "function"))
    throw new InvalidArgumentError(
      "sql",
      "pass a postgres.js instance (import postgres from 'postgres'; postgres(url)). See the @streamstore/archive README.",
    );
  for (const [name, value, max] of [
    ["schema", options.schema, 63],
    ["table", options.table, MAX_TABLE_LENGTH],
  ] as const) {
    if (
      value !== undefined &&
      (typeof value !== "string" || !IDENTIFIER.test(value) || value.length > max)
    )
      throw new InvalidArgumentError(
        name,
        `${JSON.stringify(value)} is not a plain identifier: use 1 to ${max} letters, digits or _ (lower case keeps it queryable without quotes).`,
      );
  }
  for (const [name, value] of [
    ["connectTimeoutSeconds", options.connectTimeoutSeconds],
    ["maxConnections", options.maxConnections],
  ] as const) {
    if (
      value !== undefined &&
      !(typeof value === "number" && Number.isInteger(value) && value >= 1)
    )
      throw new InvalidArgumentError(name, "pass an integer >= 1.");
  }
}

/**
 * The cold tier in PostgreSQL (via postgres.js): one plain row per archived event in
 * `<schema>.<table>` (default `public.streamstore_events`), created on first use. Writes are one
 * transaction each, idempotent (`ON CONFLICT DO NOTHING` on the position) and all or nothing;
 * reads return data and metadata as the exact JSON text appended. PostgreSQL unreachable →
 * `ArchiveUnavailableError` (password masked); tables of another archive schema version →
 * `ArchiveSchemaError`; a (stream, version) already archived at another position →
 * `ArchiveConflictError`.
 *
 * @example
 * const archive = createPostgresArchive({ connectionString: "postgres://app:secret@db:5432/events" });
 * await archive.write(entries);
 * const page = await archive.readPartition("order", 0, { after: "0-0", limit: 1000 });
 * await archive.close();
 */
export function createPostgresArchive(options: PostgresArchiveOptions): EventArchive {
  checkOptions(options);
  const settings = { ...DEFAULT_POSTGRES_ARCHIVE_OPTIONS, ...definedOnly(options) };
  const names = { schema: settings.schema, table: settings.table };
  const { events } = qualifiedNames(names);
  const owned = options.sql === undefined;
  const connectionString = options.connectionString ?? "";
  const sql: Sql =
    options.sql ??
    postgres(connectionString, {
      max: settings.maxConnections,
      connect_timeout: settings.connectTimeoutSeconds,
      idle_timeout: 60,
      onnotice: false,
    });
  const target = owned ? maskConnectionString(connectionString) : targetOfSql(sql);
  const password = owned ? passwordOf(connectionString) : undefined;
  const prepare = sql.options?.prepare ?? true;
  let closed = false;
  let schemaReady: Promise<void> | undefined;

  /** Runs `work` once the tables are there; connection failures become ArchiveUnavailableError. */
  const run = async <Result>(work: () => Promise<Result>): Promise<Result> => {
    if (closed) throw new ArchiveUnavailableError(target, "close() was called on this archive");
    try {
      schemaReady ??= ensureArchiveSchema(sql, names).catch((error: unknown) => {
        schemaReady = undefined;
        throw error;
      });
      await schemaReady;
      return await work();
    } catch (error) {
      const reason = isStreamstoreError(error) ? undefined : unavailableReason(error);
      if (reason === undefined) throw error;
      const masked = password ? reason.split(password).join("***") : reason;
      throw new ArchiveUnavailableError(target, masked, { cause: error });
    }
  };
  const query = <Rows extends object[]>(text: string, parameters: (string | number)[]) =>
    sql.unsafe<Rows>(text, parameters, { prepare }).transform(false).parsers(asServerText);

  const insert = `INSERT INTO ${events} (category, partition, position_ms, position_seq, stream, version, event_id, type, data, metadata, schema_version)
    SELECT category, partition, position_ms, position_seq, stream, version, event_id, type, data::json, metadata::json, schema_version
    FROM unnest($1::text[], $2::int[], $3::bigint[], $4::bigint[], $5::text[], $6::bigint[], $7::text[], $8::text[], $9::text[], $10::text[], $11::int[])
      AS batch(category, partition, position_ms, position_seq, stream, version, event_id, type, data, metadata, schema_version)
    ON CONFLICT (category, partition, position_ms, position_seq) DO NOTHING`;
  const storedVersions = `SELECT ${ROW} FROM ${events} JOIN unnest($1::text[], $2::bigint[]) AS batch(stream, version) USING (stream, version)`;
  const streamForward = `SELECT ${ROW} FROM ${events} WHERE stream = $1 AND version >= $2 AND version <= $3 ORDER BY ${events}.version LIMIT $4`;
  const streamBackward = `SELECT ${ROW} FROM ${events} WHERE stream = $1 AND version >= $2 AND version <= $3 ORDER BY ${events}.version DESC LIMIT $4`;
  const partitionPage = `SELECT ${ROW} FROM ${events} WHERE category = $1 AND partition = $2
    AND (position_ms, position_seq) > ($3::bigint, $4::bigint) AND (position_ms, position_seq) <= ($5::bigint, $6::bigint)
    ORDER BY position_ms, position_seq LIMIT $7`;
  const partitionPageBackward = partitionPage.replace(
    "ORDER BY position_ms, position_seq",
    "ORDER BY position_ms DESC, position_seq DESC",
  );
  const last = `SELECT position_ms::text || '-' || position_seq::text AS position FROM ${events}
    WHERE category = $1 AND partition = $2 ORDER BY position_ms DESC, position_seq DESC LIMIT 1`;
  const stats = `SELECT totals.category, totals.partition::text AS partition, totals.events::text AS events,
      totals.bytes::text AS bytes, newest.position
    FROM (SELECT category, partition, count(*) AS events, sum(pg_column_size(archived.*)) AS bytes
          FROM ${events} AS archived GROUP BY category, partition) AS totals
    CROSS JOIN LATERAL (SELECT position_ms::text || '-' || position_seq::text AS position FROM ${events}
          WHERE category = totals.category AND partition = totals.partition
          ORDER BY position_ms DESC, position_seq DESC LIMIT 1) AS newest
    ORDER BY totals.category COLLATE "C", totals.partition`;

  /** After a unique violation on (stream, version): the entry that caused it, as a typed error. */
  async function conflictOf(
    entries: readonly ArchivedEntry[],
  ): Promise<ArchiveConflictError | undefined> {
    const stored = await query<Row[]>(storedVersions, [
      entries.map((entry) => entry.streamName) as never,
      entries.map((entry) => entry.version) as never,
    ]);
    const byVersion = new Map(stored.map((row) => [`${row.stream}\n${row.version}`, entryOf(row)]));
    for (const entry of entries) {
      const held = byVersion.get(`${entry.streamName}\n${entry.version}`);
      if (
        held &&
        (held.category !== entry.category ||
          held.partition !== entry.partition ||
          held.position !== entry.position)
      )
        return new ArchiveConflictError(
          entry.streamName,
          entry.version,
          held.position,
          entry.position,
        );
    }
    return undefined;
  }

  return {
    async write(entries: readonly ArchivedEntry[]) {
      const checked = checkArchiveWrite(entries);
      if (checked.length === 0) return;
      const columns = [
        checked.map((entry) => entry.category),
        checked.map((entry) => entry.partition),
        checked.map((entry) => (parsePosition(entry.position) as [bigint, bigint])[0].toString()),
        checked.map((entry) => (parsePosition(entry.position) as [bigint, bigint])[1].toString()),
        checked.map((entry) => entry.streamName),
        checked.map((entry) => entry.version),
        checked.map((entry) => entry.eventId),
        checked.map((entry) => entry.type),
        checked.map((entry) => entry.data),
        checked.map((entry) => entry.metadata ?? null),
        checked.map((entry) => entry.schemaVersion),
      ];
      await run(async () => {
        try {
          await sql.begin((tx) => tx.unsafe(insert, columns as never[], { prepare }));
        } catch (error) {
          if ((error as { code?: unknown }).code !== UNIQUE_VIOLATION) throw error;
          throw (await conflictOf(checked)) ?? error;
        }
      });
    },

    async readStream(streamName: string, request: ArchiveStreamRequest) {
      checkArchiveStreamRead(streamName, request);
      const to = Number.isFinite(request.to) ? request.to : INT8_MAX;
      const rows = await run(() =>
        query<Row[]>(request.direction === "forward" ? streamForward : streamBackward, [
          streamName,
          request.from,
          to,
          request.limit,
        ]),
      );
      return rows.map(entryOf);
    },

    async readPartition(category: string, partition: number, request: ArchivePartitionRequest) {
      checkArchivePartitionRead(category, partition, request);
      const [afterMs, afterSeq] = parsePosition(request.after) as [bigint, bigint];
      const [untilMs, untilSeq] =
        request.until === undefined
          ? [INT8_MAX, INT8_MAX]
          : (parsePosition(request.until) as [bigint, bigint]);
      const rows = await run(() =>
        query<Row[]>(request.direction === "backward" ? partitionPageBackward : partitionPage, [
          category,
          partition,
          afterMs.toString(),
          afterSeq.toString(),
          untilMs.toString(),
          untilSeq.toString(),
          request.limit,
        ]),
      );
      return rows.map(entryOf);
    },

    async lastPosition(category: string, partition: number) {
      checkArchiveLastPosition(category, partition);
      const [row] = await run(() => query<{ position: string }[]>(last, [category, partition]));
      return row?.position;
    },

    async stats() {
      const rows = await run(() =>
        query<
          { category: string; partition: string; events: string; bytes: string; position: string }[]
        >(stats, []),
      );
      return rows.map(
        (row): ArchivePartitionStats => ({
          category: row.category,
          partition: Number(row.partition),
          events: Number(row.events),
          bytes: Number(row.bytes),
          lastPosition: row.position,
        }),
      );
    },

    async close() {
      if (closed) return;
      closed = true;
      if (owned) await sql.end({ timeout: 5 });
    },
  };
}

/** The options that were given a value (so that `undefined` keeps the default). */
function definedOnly(options: PostgresArchiveOptions): Partial<PostgresArchiveOptions> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}

function passwordOf(connectionString: string): string | undefined {
  try {
    const password = decodeURIComponent(new URL(connectionString).password);
    return password.length >= 3 ? password : undefined;
  } catch {
    return undefined;
  }
}
