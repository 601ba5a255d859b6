/**
 * pnpm bench:peers — append throughput of Emmett's PostgreSQL event store
 * (@event-driven-io/emmett-postgresql) against streamstore on a private redis-server, in the same
 * run, with the same concurrency, payload, streams and expected-version checks. Writes
 * benchmarks/results/peers.{json,md}.
 *
 * The peers are not workspace dependencies: benchmarks/peers/package.json and its lockfile are
 * copied to a temporary directory and installed there with `npm ci`, so `pnpm install` stays lean.
 * PostgreSQL: PG_URL (default postgresql://postgres@127.0.0.1:5432/test) is used only to create
 * and drop a database of this run's own (`streamstore_peers_<random>`).
 *
 * Flags: --seconds N (per measurement, default 3), --concurrency 16,64 (default).
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineEvents, getRedisEventStore, silentLogger } from "@streamstore/core";
import { type RedisServerHandle, startRedisServer } from "@streamstore/testing";
import { Redis } from "ioredis";
import { z } from "zod";

const argument = (name: string, fallback: string) => {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
};
const SECONDS = Number(argument("seconds", "3"));
const CONCURRENCY = argument("concurrency", "16,64").split(",").map(Number);
const STREAMS = 10_000;
const PG_URL = process.env.PG_URL ?? "postgresql://postgres@127.0.0.1:5432/test";
const here = dirname(fileURLToPath(import.meta.url));

const payload = { amount: 42.5, currency: "EUR", note: "x".repeat(150) };
const events = defineEvents({
  Deposited: z.object({ amount: z.number(), currency: z.string(), note: z.string() }),
});

// The few members of the peers' APIs used here (their types live in the temporary install).
interface PgClient {
  query(sql: string): Promise<{ rows: Record<string, unknown>[] }>;
  end(): Promise<void>;
}
interface PgModule {
  Client: new (options: { connectionString: string }) => PgClient & { connect(): Promise<void> };
  Pool: new (options: { connectionString: string; max: number }) => PgClient;
}
interface EmmettStore {
  appendToStream(
    streamName: string,
    events: { type: string; data: unknown }[],
    options: { expectedStreamVersion: bigint },
  ): Promise<{ nextExpectedStreamVersion: bigint }>;
  schema: { migrate(): Promise<unknown> };
  close(): Promise<void>;
}
interface EmmettPostgresModule {
  getPostgreSQLEventStore(
    connectionString: string,
    options: { connectionOptions: { pool: PgClient; pooled: true } },
  ): EmmettStore;
}

/** One appender's next append: the stream it owns next and the version that stream is at. */
type AppendFn = (stream: number, version: number) => Promise<void>;

async function measure(concurrency: number, append: AppendFn): Promise<number> {
  // Each appender owns a disjoint slice of the streams, so exact expected versions never conflict.
  const versions = new Map<number, number>();
  const perAppender = Math.floor(STREAMS / concurrency);
  const run = async (deadline: number) => {
    let appended = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async (_, appender) => {
        let turn = 0;
        while (performance.now() < deadline) {
          const stream = appender + concurrency * (turn++ % perAppender);
          const version = versions.get(stream) ?? 0;
          await append(stream, version);
          versions.set(stream, version + 1);
          appended++;
        }
      }),
    );
    return appended;
  };
  await run(performance.now() + 500); // warm-up: connections, prepared plans, script cache
  const started = performance.now();
  const appended = await run(started + SECONDS * 1000);
  return appended / ((performance.now() - started) / 1000);
}

async function installPeers(): Promise<{ dir: string; load: (name: string) => unknown }> {
  const dir = await mkdtemp(join(tmpdir(), "streamstore-peers-"));
  await copyFile(join(here, "package.json"), join(dir, "package.json"));
  await copyFile(join(here, "package-lock.json"), join(dir, "package-lock.json"));
  execFileSync("npm", ["ci", "--no-audit", "--no-fund", "--ignore-scripts"], {
    cwd: dir,
    stdio: ["ignore", "ignore", "inherit"],
  });
  const require = createRequire(join(dir, "package.json"));
  return { dir, load: (name) => require(name) };
}

interface Row {
  system: string;
  durability: string;
  concurrency: number;
  eventsPerSecond: number;
}

async function streamstoreRows(
  label: string,
  durability: string,
  args: string[],
  concurrency: number,
): Promise<Row> {
  let server: RedisServerHandle | undefined;
  const clients: Redis[] = [];
  try {
    server = await startRedisServer({ args });
    for (let i = 0; i < concurrency; i++) clients.push(new Redis(server.url));
    const stores = clients.map((redis) =>
      getRedisEventStore({ redis, events, logger: silentLogger }),
    );
    const eventsPerSecond = await measure(concurrency, async (stream, version) => {
      await stores[stream % concurrency]?.append(
        `account-${stream}`,
        [{ type: "Deposited", data: payload }],
        { expectedVersion: version },
      );
    });
    return { system: label, durability, concurrency, eventsPerSecond };
  } finally {
    for (const client of clients) client.disconnect();
    await server?.stop();
  }
}

async function main(): Promise<void> {
  const started = new Date();
  const load = loadavg()[0] ?? 0;
  const { dir, load: loadPeer } = await installPeers();
  const pg = loadPeer("pg") as PgModule;
  const emmett = loadPeer("@event-driven-io/emmett-postgresql") as EmmettPostgresModule;
  const database = `streamstore_peers_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  const pgVersion = String((await admin.query("SHOW server_version")).rows[0]?.server_version);
  const pgSettings = (
    await admin.query(
      "SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit')",
    )
  ).rows
    .map((row) => `${String(row.name)}=${String(row.setting)}`)
    .join(", ");
  await admin.query(`CREATE DATABASE ${database}`);
  const rows: Row[] = [];
  try {
    const url = new URL(PG_URL);
    url.pathname = `/${database}`;
    for (const concurrency of CONCURRENCY) {
      // One connection per appender on both sides (pg pool of `concurrency`, one ioredis client each).
      const pool = new pg.Pool({ connectionString: url.toString(), max: concurrency });
      const store = emmett.getPostgreSQLEventStore(url.toString(), {
        connectionOptions: { pool, pooled: true },
      });
      try {
        await store.schema.migrate();
        const run = randomBytes(3).toString("hex");
        const eventsPerSecond = await measure(concurrency, async (stream, version) => {
          await store.appendToStream(
            `account-${run}${stream}`,
            [{ type: "Deposited", data: payload }],
            { expectedStreamVersion: BigInt(version) },
          );
        });
        rows.push({
          system: "Emmett 0.42.0 (PostgreSQL)",
          durability: `PostgreSQL ${pgSettings}`,
          concurrency,
          eventsPerSecond,
        });
      } finally {
        await store.close();
        await pool.end().catch(() => undefined);
      }
      rows.push(
        await streamstoreRows(
          "streamstore (Redis)",
          "AOF, appendfsync always",
          ["--appendonly", "yes", "--appendfsync", "always"],
          concurrency,
        ),
        await streamstoreRows(
          "streamstore (Redis)",
          "AOF, appendfsync everysec",
          ["--appendonly", "yes", "--appendfsync", "everysec"],
          concurrency,
        ),
        await streamstoreRows("streamstore (Redis)", "no persistence", [], concurrency),
      );
      console.log(rows.slice(-4));
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  }
  const redisVersion =
    /v=(\S+)/.exec(execFileSync("redis-server", ["--version"]).toString())?.[1] ?? "?";
  const environment = {
    date: started.toISOString(),
    node: process.version,
    cores: cpus().length,
    loadAverageAtStart: Number(load.toFixed(2)),
    postgres: `${pgVersion} (${pgSettings}), database ${database} created and dropped by the run`,
    redis: `Redis ${redisVersion} (private, started per measurement)`,
    secondsPerMeasurement: SECONDS,
    streams: STREAMS,
    payloadBytes: Buffer.byteLength(JSON.stringify(payload)),
  };
  const results = join(here, "..", "results");
  await mkdir(results, { recursive: true });
  await writeFile(
    join(results, "peers.json"),
    `${JSON.stringify({ environment, rows }, null, 2)}\n`,
  );
  const format = (value: number) => Math.round(value).toLocaleString("en-US");
  const lines = [
    "# bench:peers",
    "",
    `${environment.date}, Node ${environment.node}, ${environment.cores} cores (shared; load average ${environment.loadAverageAtStart} at start), PostgreSQL ${environment.postgres}, ${environment.redis}.`,
    "",
    `Appends of 1 event (${environment.payloadBytes} B of JSON) with an exact expected version, each appender owning a slice of ${STREAMS.toLocaleString("en-US")} streams; one connection per appender on both sides; ${SECONDS} s per measurement after a 0.5 s warm-up, one round. PostgreSQL and Redis run on the same machine as the benchmark.`,
    "",
    "| system | durability | concurrent appenders | events/s |",
    "| --- | --- | ---: | ---: |",
    ...rows.map(
      (row) =>
        `| ${row.system} | ${row.durability} | ${row.concurrency} | ${format(row.eventsPerSecond)} |`,
    ),
    "",
    "Reading it: one short round on a shared 2-core machine, with the databases on the same cores as the benchmark; differences under ~20 % between streamstore rows are noise. PostgreSQL with `synchronous_commit=on` flushes the WAL before each commit returns: compare it with the `appendfsync always` rows, which fsync the AOF before replying (Redis fsyncs once per event-loop turn, so more concurrent appenders share one fsync).",
    "",
    "Not measured: KurrentDB (no server binary here) and Eventuous (.NET, not installed).",
    "",
    "Run: `pnpm bench:peers` (flags `--seconds N`, `--concurrency 16,64`; `PG_URL` for another PostgreSQL). It installs benchmarks/peers/package.json with `npm ci` into a temporary directory, creates and drops its own database, and starts private redis-servers.",
    "",
  ];
  await writeFile(join(results, "peers.md"), lines.join("\n"));
  console.log(lines.join("\n"));
}

await main();
