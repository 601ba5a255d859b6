/**
 * pnpm bench:archive-drivers — the two PostgreSQL drivers for Node, `pg` (node-postgres) and
 * `postgres` (porsager's postgres.js), doing what the cold tier (@streamstore/archive) does, on
 * the machine's PostgreSQL, in the same run, the sides alternating:
 *  - batch insert: 1,000-row batches of archived events (192 B JSON data) in one transaction,
 *    `ON CONFLICT (category, partition, position_ms, position_seq) DO NOTHING`, as a multi-row
 *    VALUES and as one `INSERT … SELECT FROM unnest($arrays)` (the same SQL on both sides);
 *  - streaming read of 100,000 rows of one partition in position order, with the JSON columns
 *    as text: through each driver's cursor (pg-cursor, postgres.js `.cursor()`) and as keyset
 *    pages of 1,000 (`WHERE (position_ms, position_seq) > ($ms, $seq) … LIMIT 1000`, what
 *    readPartition sends).
 * Events/s and this process's CPU per event for each; medians over the rounds. Works in a
 * database of its own (`streamstore_bench_<random>`, dropped at the end). Writes
 * benchmarks/results/archive-drivers.{json,md}.
 *
 * Flags: --rounds N (default 9), --batches N (1,000-row batches per side and round, default 20).
 * Env: STREAMSTORE_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres).
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import pg from "pg";
import Cursor from "pg-cursor";
import postgres from "postgres";
import { benchPayload } from "./support/benchEvents.js";
import { benchFlag } from "./support/benchFlag.js";
import { median } from "./support/seededRandom.js";

const ROUNDS = benchFlag("rounds", 9);
const BATCHES = benchFlag("batches", 20);
const BATCH = 1000;
const READ_ROWS = 100_000;
const ADMIN_URL = process.env.STREAMSTORE_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const DATABASE = `streamstore_bench_${randomBytes(4).toString("hex")}`;
const DATA = JSON.stringify(benchPayload);
const STREAMS = 10_000;

interface Row {
  category: string;
  partition: number;
  ms: string;
  seq: string;
  stream: string;
  version: number;
  eventId: string;
  type: string;
  data: string;
  metadata: string | null;
  schemaVersion: number;
}
const COLUMNS =
  "category, partition, position_ms, position_seq, stream, version, event_id, type, data, metadata, schema_version";
const valuesOf = (row: Row) => [
  row.category,
  row.partition,
  row.ms,
  row.seq,
  row.stream,
  row.version,
  row.eventId,
  row.type,
  row.data,
  row.metadata,
  row.schemaVersion,
];

/** Rows `from` .. `from + count - 1` of one log: 3 entries per ms, 10,000 aggregates round-robin,
 * every fourth event with metadata. The same rows for every side. */
function rowsOf(from: number, count: number): Row[] {
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    return {
      category: "account",
      partition: 0,
      ms: String(1_700_000_000_000 + Math.floor(i / 3)),
      seq: String(i % 3),
      stream: `account-${i % STREAMS}`,
      version: Math.floor(i / STREAMS) + 1,
      eventId: randomUUID(),
      type: "Deposited",
      data: DATA,
      metadata: i % 4 === 0 ? `{"correlationId":"${randomUUID()}"}` : null,
      schemaVersion: 1,
    };
  });
}

const createTable = (table: string) => `CREATE TABLE ${table} (
  category text NOT NULL, partition integer NOT NULL,
  position_ms bigint NOT NULL, position_seq bigint NOT NULL,
  stream text NOT NULL, version bigint NOT NULL, event_id text NOT NULL, type text NOT NULL,
  data json NOT NULL, metadata json, schema_version integer NOT NULL,
  recorded_at timestamptz GENERATED ALWAYS AS (to_timestamp(position_ms / 1000.0)) STORED,
  PRIMARY KEY (category, partition, position_ms, position_seq),
  UNIQUE (stream, version))`;
const ON_CONFLICT = "ON CONFLICT (category, partition, position_ms, position_seq) DO NOTHING";
// The statement @streamstore/archive sends (JSON passed as text and cast, so no driver touches it).
const UNNEST = (table: string) =>
  `INSERT INTO ${table} (${COLUMNS}) SELECT category, partition, position_ms, position_seq, stream, version, event_id, type, data::json, metadata::json, schema_version FROM unnest($1::text[], $2::int[], $3::bigint[], $4::bigint[], $5::text[], $6::bigint[], $7::text[], $8::text[], $9::text[], $10::text[], $11::int[]) AS batch(${COLUMNS}) ${ON_CONFLICT}`;
/** One multi-row INSERT: 11 numbered parameters per row, the JSON cast from text. */
const VALUES = (table: string, rows: number) => {
  const tuples = Array.from({ length: rows }, (_, r) => {
    const p = (k: number) => `$${r * 11 + k}`;
    return `(${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)}, ${p(8)}, ${p(9)}::text::json, ${p(10)}::text::json, ${p(11)})`;
  });
  return `INSERT INTO ${table} (${COLUMNS}) VALUES ${tuples.join(", ")} ${ON_CONFLICT}`;
};
const columnsOf = (rows: Row[]) => {
  const columns: unknown[][] = Array.from({ length: 11 }, () => []);
  for (const row of rows) {
    for (const [index, value] of valuesOf(row).entries()) columns[index]?.push(value);
  }
  return columns;
};
const SELECT = `SELECT category, partition, position_ms, position_seq, stream, version, event_id, type, data::text AS data, metadata::text AS metadata, schema_version`;
const PAGE = (table: string) =>
  `${SELECT} FROM ${table} WHERE category = $1 AND partition = $2 AND (position_ms, position_seq) > ($3, $4) ORDER BY position_ms, position_seq LIMIT ${BATCH}`;
const ALL = (table: string) =>
  `${SELECT} FROM ${table} WHERE category = $1 AND partition = $2 ORDER BY position_ms, position_seq`;

interface DbRow {
  category: string;
  partition: number;
  position_ms: string;
  position_seq: string;
  stream: string;
  version: string;
  event_id: string;
  type: string;
  data: string;
  metadata: string | null;
  schema_version: number;
}
/** What the archive builds from each row read (so both sides do the same work per row). */
const entryOf = (row: DbRow) => ({
  category: row.category,
  partition: row.partition,
  position: `${row.position_ms}-${row.position_seq}`,
  streamName: row.stream,
  version: Number(row.version),
  eventId: row.event_id,
  type: row.type,
  data: row.data,
  metadata: row.metadata ?? undefined,
  schemaVersion: row.schema_version,
});

interface Side {
  driver: "pg" | "postgres";
  insertValues(table: string, rows: Row[]): Promise<void>;
  insertUnnest(table: string, rows: Row[]): Promise<void>;
  readCursor(table: string): Promise<number>;
  readPages(table: string): Promise<number>;
  close(): Promise<void>;
}

function pgSide(url: string): Side {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  const inTransaction = async (work: (client: pg.PoolClient) => Promise<unknown>) => {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      await work(client);
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK");
      throw error;
    } finally {
      client.release();
    }
  };
  return {
    driver: "pg",
    // Named (prepared) statements, as postgres.js prepares by default and the archive asks.
    insertValues: (table, rows) =>
      inTransaction((client) =>
        client.query({
          name: `values_${table}`,
          text: VALUES(table, rows.length),
          values: rows.flatMap(valuesOf),
        }),
      ),
    insertUnnest: (table, rows) =>
      inTransaction((client) =>
        client.query({ name: `unnest_${table}`, text: UNNEST(table), values: columnsOf(rows) }),
      ),
    async readCursor(table) {
      const client = await pool.connect();
      let count = 0;
      try {
        const cursor = client.query(new Cursor<DbRow>(ALL(table), ["account", 0]));
        for (;;) {
          const rows = await cursor.read(BATCH);
          if (rows.length === 0) break;
          for (const row of rows) count += entryOf(row).version > 0 ? 1 : 0;
        }
        await cursor.close();
      } finally {
        client.release();
      }
      return count;
    },
    async readPages(table) {
      let count = 0;
      let after = ["0", "0"];
      for (;;) {
        const { rows } = await pool.query<DbRow>({
          name: `page_${table}`,
          text: PAGE(table),
          values: ["account", 0, ...after],
        });
        for (const row of rows) count += entryOf(row).version > 0 ? 1 : 0;
        const last = rows.at(-1);
        if (!last || rows.length < BATCH) break;
        after = [last.position_ms, last.position_seq];
      }
      return count;
    },
    close: () => pool.end(),
  };
}

// sql.unsafe sends unprepared unless asked; tagged templates (and the archive) prepare.
const PREPARED = { prepare: true };

function postgresSide(url: string): Side {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  return {
    driver: "postgres",
    insertValues: async (table, rows) => {
      await sql.begin((tx) =>
        tx.unsafe(VALUES(table, rows.length), rows.flatMap(valuesOf) as never[], PREPARED),
      );
    },
    insertUnnest: async (table, rows) => {
      await sql.begin((tx) => tx.unsafe(UNNEST(table), columnsOf(rows) as never[], PREPARED));
    },
    async readCursor(table) {
      let count = 0;
      for await (const rows of sql
        .unsafe<DbRow[]>(ALL(table), ["account", 0], PREPARED)
        .cursor(BATCH)) {
        for (const row of rows) count += entryOf(row).version > 0 ? 1 : 0;
      }
      return count;
    },
    async readPages(table) {
      let count = 0;
      let after = ["0", "0"];
      for (;;) {
        const rows = await sql.unsafe<DbRow[]>(PAGE(table), ["account", 0, ...after], PREPARED);
        for (const row of rows) count += entryOf(row).version > 0 ? 1 : 0;
        const last = rows.at(-1);
        if (!last || rows.length < BATCH) break;
        after = [last.position_ms, last.position_seq];
      }
      return count;
    },
    close: () => sql.end(),
  };
}

interface Measure {
  eventsPerSecond: number;
  clientCpuMicrosPerEvent: number;
}
async function measured(events: number, work: () => Promise<unknown>): Promise<Measure> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await work();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return {
    eventsPerSecond: Math.round(events / seconds),
    clientCpuMicrosPerEvent: Number(((used.user + used.system) / events).toFixed(2)),
  };
}

const medianOf = (runs: Measure[]): Measure => ({
  eventsPerSecond: Math.round(median(runs.map((run) => run.eventsPerSecond))),
  clientCpuMicrosPerEvent: Number(
    median(runs.map((run) => run.clientCpuMicrosPerEvent)).toFixed(2),
  ),
});

const OPERATIONS = [
  { key: "insertValues", label: "batch insert, multi-row VALUES", kind: "insert" },
  {
    key: "insertUnnest",
    label: "batch insert, INSERT … SELECT FROM unnest(arrays)",
    kind: "insert",
  },
  {
    key: "readCursor",
    label: "read 100k in position order, driver cursor (1,000 rows a fetch)",
    kind: "read",
  },
  { key: "readPages", label: "read 100k in position order, keyset pages of 1,000", kind: "read" },
] as const;
type OperationKey = (typeof OPERATIONS)[number]["key"];

async function main() {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  const serverVersion = (await admin.query<{ server_version: string }>("SHOW server_version"))
    .rows[0]?.server_version;
  await admin.query(`CREATE DATABASE ${DATABASE} ENCODING 'UTF8' TEMPLATE template0`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${DATABASE}`;
  const sides = [pgSide(url.href), postgresSide(url.href)];
  const runs: Record<string, Record<OperationKey, Measure[]>> = {};
  for (const side of sides)
    runs[side.driver] = { insertValues: [], insertUnnest: [], readCursor: [], readPages: [] };
  try {
    const setup = new pg.Client({ connectionString: url.href });
    await setup.connect();
    for (const side of sides)
      for (const kind of ["values", "unnest"])
        await setup.query(createTable(`bench_${side.driver}_${kind}`));
    await setup.query(createTable("bench_read"));
    await setup.end();
    // The read table: 100k rows, filled once (by pg, unnest), analysed.
    for (let from = 0; from < READ_ROWS; from += BATCH)
      await sides[0]?.insertUnnest("bench_read", rowsOf(from, BATCH));
    const analyse = new pg.Client({ connectionString: url.href });
    await analyse.connect();
    await analyse.query("VACUUM ANALYZE bench_read");
    await analyse.end();
    // Warm-up: a few batches and one read per side, unrecorded.
    for (const side of sides) {
      await side.insertValues(`bench_${side.driver}_values`, rowsOf(10_000_000, BATCH));
      await side.insertUnnest(`bench_${side.driver}_unnest`, rowsOf(10_000_000, BATCH));
      await side.readCursor("bench_read");
      await side.readPages("bench_read");
    }
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? sides : [...sides].reverse();
      // Every side inserts the same rows into its own tables (which so grow alike).
      const batches = Array.from({ length: BATCHES }, (_, b) =>
        rowsOf((round * BATCHES + b) * BATCH, BATCH),
      );
      for (const operation of OPERATIONS) {
        for (const side of order) {
          const result =
            operation.kind === "insert"
              ? await measured(BATCHES * BATCH, async () => {
                  const table = `bench_${side.driver}_${operation.key === "insertValues" ? "values" : "unnest"}`;
                  for (const rows of batches)
                    await side[operation.key as "insertValues" | "insertUnnest"](table, rows);
                })
              : await measured(READ_ROWS, async () => {
                  const count =
                    await side[operation.key as "readCursor" | "readPages"]("bench_read");
                  if (count !== READ_ROWS) throw new Error(`${side.driver} read ${count} rows`);
                });
          runs[side.driver]?.[operation.key].push(result);
        }
      }
      console.log(`round ${round + 1}/${ROUNDS} done`);
    }
    // Every side stored every row, with the JSON text unchanged.
    const check = new pg.Client({ connectionString: url.href });
    await check.connect();
    const wrong: string[] = [];
    for (const side of sides) {
      for (const kind of ["values", "unnest"]) {
        const { rows } = await check.query<{ count: string; same: string }>(
          `SELECT count(*) AS count, count(*) FILTER (WHERE data::text = $1) AS same FROM bench_${side.driver}_${kind}`,
          [DATA],
        );
        const expected = String((ROUNDS * BATCHES + 1) * BATCH);
        if (rows[0]?.count !== expected || rows[0]?.same !== expected)
          wrong.push(
            `bench_${side.driver}_${kind}: ${JSON.stringify(rows[0])}, expected ${expected}`,
          );
      }
    }
    await check.end();
    if (wrong.length > 0) throw new Error(`rows not stored as sent: ${wrong.join("; ")}`);
  } finally {
    for (const side of sides) await side.close();
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
    await admin.end();
  }

  const results = OPERATIONS.map((operation) => {
    const pgResult = medianOf(runs.pg?.[operation.key] ?? []);
    const postgresResult = medianOf(runs.postgres?.[operation.key] ?? []);
    return {
      operation: operation.key,
      label: operation.label,
      pg: pgResult,
      postgres: postgresResult,
      // The median of the rounds' ratios: each round's two sides ran back to back, under the same load.
      postgresOverPg: Number(
        median(
          (runs.pg?.[operation.key] ?? []).map(
            (run, round) =>
              (runs.postgres?.[operation.key]?.[round]?.eventsPerSecond ?? 0) / run.eventsPerSecond,
          ),
        ).toFixed(2),
      ),
    };
  });
  const meta = {
    date: new Date().toISOString(),
    node: process.version,
    cores: cpus().length,
    cpu: cpus()[0]?.model.split(" ").slice(0, 2).join(" "),
    postgresql: serverVersion,
    drivers: { pg: "8.23.1", postgres: "4.2.0", "pg-cursor": "2.22.1" },
    rounds: ROUNDS,
    insertBatchesPerRound: BATCHES,
    batchRows: BATCH,
    readRows: READ_ROWS,
    dataBytes: Buffer.byteLength(DATA),
    loadAverageAtEnd: loadavg().map((value) => Number(value.toFixed(2))),
  };
  await mkdir(new URL("./results/", import.meta.url), { recursive: true });
  await writeFile(
    new URL("./results/archive-drivers.json", import.meta.url),
    `${JSON.stringify({ meta, results, runs }, null, 2)}\n`,
  );
  await writeFile(
    new URL("./results/archive-drivers.md", import.meta.url),
    markdown(meta, results),
  );
  console.log(markdown(meta, results));
}

function markdown(
  meta: {
    date: string;
    node: string;
    cores: number;
    cpu: string | undefined;
    postgresql: string | undefined;
    loadAverageAtEnd: number[];
  },
  results: {
    label: string;
    pg: Measure;
    postgres: Measure;
    postgresOverPg: number;
  }[],
): string {
  const rows = results.map(
    (row) =>
      `| ${row.label} | ${row.pg.eventsPerSecond} | ${row.postgres.eventsPerSecond} | ${row.postgresOverPg} | ${row.pg.clientCpuMicrosPerEvent} | ${row.postgres.clientCpuMicrosPerEvent} |`,
  );
  return `# bench:archive-drivers

${meta.date}, Node ${meta.node}, ${meta.cores} cores (${meta.cpu}), PostgreSQL ${meta.postgresql} on the same machine (127.0.0.1, default settings), drivers pg 8.23.1 (+ pg-cursor 2.22.1) and postgres 4.2.0, one connection per side. ${ROUNDS} rounds; in each, every operation runs on both sides one after the other, the first side swapped every round; events/s and CPU figures are the medians of the rounds, postgres / pg the median of the rounds' ratios (every round is in archive-drivers.json). The machine is shared with other work (load average at the end: ${meta.loadAverageAtEnd.join(", ")}): compare the sides, measured in the same run, more than the absolute rates.

Rows: archived events as @streamstore/archive stores them (11 columns, \`data\` a 192 B JSON payload in a \`json\` column, metadata on every fourth event, \`recorded_at\` generated from the position), one category partition, 10,000 aggregates. Inserts: ${BATCHES} batches of ${BATCH} rows per side and round, one transaction each, \`ON CONFLICT (category, partition, position_ms, position_seq) DO NOTHING\`, into a table of that side's own (so both grow alike). The same SQL text on both sides, sent as prepared statements (postgres.js's default for queries, and what @streamstore/archive asks; named statements in pg): multi-row VALUES = one INSERT with 11 numbered parameters per row (11,000), \`$9::text::json\`; unnest = one \`INSERT … SELECT … FROM unnest($1::text[], …)\` with 11 array parameters (the statement the archive sends). JSON goes as text and is cast by the server, so no driver rewrites it (postgres.js's \`sql(rows)\` helper would send a string for a json column as a JSON string literal); the run checks that every table holds every row with its JSON text unchanged. Reads: all ${READ_ROWS} rows of one partition of a ${READ_ROWS}-row table in position order, \`data::text\` and \`metadata::text\` (the exact stored JSON, no parsing), each row turned into an archived entry. Client CPU = this process's user + system CPU ÷ events (the server's is not counted).

| operation | pg events/s | postgres events/s | postgres / pg | pg client CPU µs / event | postgres client CPU µs / event |
| --- | ---: | ---: | ---: | ---: | ---: |
${rows.join("\n")}
`;
}

await main();
