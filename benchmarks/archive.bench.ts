/**
 * pnpm bench:archive — the cold tier (@streamstore/archive) against the bare minimum, on a
 * private redis-server and the machine's PostgreSQL (a database of its own,
 * `streamstore_bench_<random>`, dropped at the end), in the same run:
 *  (a) archive throughput: startArchiver moving a 100,000-event partition log (1,000 aggregates
 *      × 100 events) into PostgreSQL and trimming it from Redis, events/s from its start to the
 *      seam reaching the last event; beside a bare multi-row INSERT of the same rows with the
 *      same driver (postgres.js; 1,000-row batches, one transaction each, ON CONFLICT DO NOTHING)
 *      into an empty table of the same DDL, run before and after the archiver;
 *  (b) rebuild: a projection built from scratch over the same 100,000 events, read from the
 *      archive (a prefix whose log was archived whole) and from the Redis log (a prefix holding
 *      the same events hot), the sides alternating round by round;
 *  (c) read(): store.read of a whole 100-event aggregate archived (Redis index header, then
 *      PostgreSQL), the same aggregate hot, and a bare SELECT of its 100 rows + JSON.parse,
 *      p50/p99, one request at a time, the sides alternating;
 *  (d) memory: used_memory per aggregate of 50,000 2-event aggregates hot, and once archived and
 *      idle (each index a 7-byte header).
 * Writes benchmarks/results/archive.{json,md}.
 *
 * Flags: --events N (events of (a)-(c), default 100,000; 100 per aggregate), --rounds N
 * (rebuild rounds per side, default 5), --iterations N (reads per side, default 1,000),
 * --memory-aggregates N (default 50,000).
 * Env: STREAMSTORE_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres).
 */
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { createPostgresArchive, startArchiver } from "@streamstore/archive";
import {
  type ArchivedEntry,
  type EventArchive,
  type EventStore,
  getRedisEventStore,
  type RawStreamEntry,
  silentLogger,
} from "@streamstore/core";
import { archivedEntryOf, keyLayout } from "@streamstore/core/internal";
import {
  createInMemoryReadModelStore,
  defineProjection,
  startProjection,
} from "@streamstore/projections";
import { startRedisServer } from "@streamstore/testing";
import { waitForRedisTimePast } from "@streamstore/testing/internal";
import { Redis } from "ioredis";
import postgres from "postgres";
import { alternate } from "./support/alternate.js";
import { benchEvents, benchPayload } from "./support/benchEvents.js";
import { benchFlag } from "./support/benchFlag.js";
import { commandStats, infoNumber, redisVersion } from "./support/redisInfo.js";
import { percentile, seededRandom, shuffle } from "./support/seededRandom.js";

const EVENTS = benchFlag("events", 100_000);
const PER_AGGREGATE = 100;
const AGGREGATES = Math.ceil(EVENTS / PER_AGGREGATE);
const ROUNDS = benchFlag("rounds", 5);
const ITERATIONS = benchFlag("iterations", 1000);
const MEMORY_AGGREGATES = benchFlag("memory-aggregates", 50_000);
const MEMORY_EVENTS_PER_AGGREGATE = 2;
const BATCH = 1000;
const APPENDERS = 32;
const SEED = 15;
const ADMIN_URL = process.env.STREAMSTORE_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const DATABASE = `streamstore_bench_${randomBytes(4).toString("hex")}`;

const round = (value: number, digits = 2) => Number(value.toFixed(digits));
interface Latency {
  p50: number;
  p99: number;
  mean: number;
}
const summarise = (samples: number[]): Latency => ({
  p50: round(percentile(samples, 50), 3),
  p99: round(percentile(samples, 99), 3),
  mean: round(samples.reduce((a, b) => a + b, 0) / samples.length, 3),
});
const median = (values: number[]) => percentile(values, 50);

/**
 * Appends `perAggregate` one-event appends to each of `aggregates` aggregates, each aggregate
 * owned by one of 32 appenders that goes through its own in a shuffled order (so each
 * aggregate's events are spread over the log), to every prefix given (the same events, in the
 * same order). Resolves the newest position's ms.
 */
async function fill(
  url: string,
  prefixes: string[],
  aggregates: number,
  perAggregate: number,
  random: () => number,
): Promise<number> {
  const clients = Array.from({ length: APPENDERS }, () => new Redis(url));
  const lists: number[][] = Array.from({ length: APPENDERS }, () => []);
  for (let aggregate = 0; aggregate < aggregates; aggregate++) {
    for (let k = 0; k < perAggregate; k++) lists[aggregate % APPENDERS]?.push(aggregate);
  }
  for (const list of lists) shuffle(list, random);
  let newestMs = 0;
  await Promise.all(
    clients.map(async (redis, appender) => {
      const stores = prefixes.map((prefix) =>
        getRedisEventStore({
          redis,
          events: benchEvents,
          prefix,
          logger: silentLogger,
          serverCheck: "off",
        }),
      );
      const versions = new Map<number, number>();
      for (const aggregate of lists[appender] ?? []) {
        const version = versions.get(aggregate) ?? 0;
        versions.set(aggregate, version + 1);
        for (const store of stores) {
          const result = await store.append(
            `account-${aggregate}`,
            [{ type: "Deposited", data: { ...benchPayload, amount: version } }],
            { expectedVersion: version },
          );
          newestMs = Math.max(newestMs, Number(result.positions[0]?.split("-")[0]));
        }
      }
    }),
  );
  for (const client of clients) client.disconnect();
  return newestMs;
}

/** Waits until Redis has closed every connection but `expected` (a closed client's buffers count in used_memory until then). */
async function waitForClients(redis: Redis, expected: number): Promise<void> {
  while ((await infoNumber(redis, "clients", "connected_clients")) > expected) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** An archive whose writes are timed (the archiver's time in PostgreSQL). */
function timedWrites(archive: EventArchive): EventArchive & { writeMs: () => number } {
  let total = 0;
  return {
    ...archive,
    async write(entries) {
      const started = performance.now();
      await archive.write(entries);
      total += performance.now() - started;
    },
    writeMs: () => total,
  };
}

/** Archives a whole prefix (keepEvents 0) and resolves events/s from start to the last trim. */
async function archiveAll(redis: Redis, archive: EventArchive, prefix: string, events: number) {
  const seam = keyLayout(prefix).archived("account", 0);
  const started = performance.now();
  const archiver = startArchiver({
    redis,
    archive,
    prefix,
    policies: { default: { keepEvents: 0 } },
    minAgeMs: 1000,
    batchSize: BATCH,
    idleMs: 10,
  });
  for (;;) {
    if (Number(await redis.hget(seam, "events")) >= events) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const seconds = (performance.now() - started) / 1000;
  await archiver.stop();
  return { seconds: round(seconds), eventsPerSecond: Math.round(events / seconds) };
}

const COLUMNS =
  "category, partition, position_ms, position_seq, stream, version, event_id, type, data, metadata, schema_version";
/** One multi-row INSERT: 11 numbered parameters per row, the JSON cast from text. */
function valuesInsert(table: string, rows: number): string {
  const tuples = Array.from({ length: rows }, (_, r) => {
    const p = (k: number) => `$${r * 11 + k}`;
    return `(${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)}, ${p(8)}, ${p(9)}::text::json, ${p(10)}::text::json, ${p(11)})`;
  });
  return `INSERT INTO ${table} (${COLUMNS}) VALUES ${tuples.join(", ")} ON CONFLICT (category, partition, position_ms, position_seq) DO NOTHING`;
}

/** Bare multi-row INSERTs of `entries` into a new, empty table of the archive's DDL. */
async function bareInsert(url: string, sql: postgres.Sql, table: string, entries: ArchivedEntry[]) {
  // The archive creates its table (the same DDL) on first use; then it is left alone.
  const creator = createPostgresArchive({ connectionString: url, table });
  await creator.lastPosition("account", 0);
  await creator.close();
  const started = performance.now();
  for (let start = 0; start < entries.length; start += BATCH) {
    const batch = entries.slice(start, start + BATCH);
    const parameters = batch.flatMap((entry) => {
      const [ms, seq] = entry.position.split("-");
      return [
        entry.category,
        entry.partition,
        ms,
        seq,
        entry.streamName,
        entry.version,
        entry.eventId,
        entry.type,
        entry.data,
        entry.metadata ?? null,
        entry.schemaVersion,
      ];
    });
    await sql.begin((tx) =>
      tx.unsafe(valuesInsert(table, batch.length), parameters as never[], { prepare: true }),
    );
  }
  const seconds = (performance.now() - started) / 1000;
  const [row] = await sql.unsafe<{ count: string }[]>(`SELECT count(*) AS count FROM ${table}`);
  if (Number(row?.count) !== entries.length) throw new Error(`${table}: ${row?.count} rows`);
  return { seconds: round(seconds), eventsPerSecond: Math.round(entries.length / seconds) };
}

/** Warnings and errors of the runners go to stderr (a projection that fails must not look slow). */
const benchLogger = {
  debug: () => {},
  info: () => {},
  warn: (fields: object, message: string) =>
    console.error(`warn ${message} ${JSON.stringify(fields)}`),
  error: (fields: object, message: string) =>
    console.error(`error ${message} ${JSON.stringify(fields)}`),
};

const balances = (name: string) =>
  defineProjection(benchEvents, {
    name,
    version: 1,
    source: ["account"],
    key: (event) => event.streamName,
    initialState: () => ({ balance: 0, count: 0 }),
    handlers: {
      Deposited: (draft, event) => {
        draft.balance += event.data.amount;
        draft.count++;
      },
    },
  });

/** A projection from scratch over a prefix's whole category; resolves events/s to the last commit. */
async function rebuild(
  redis: Redis,
  store: EventStore<typeof benchEvents>,
  name: string,
  events: number,
  archive?: EventArchive,
) {
  let committed = 0;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  const started = performance.now();
  const runner = startProjection(balances(name), {
    redis,
    store,
    archive,
    readModel: createInMemoryReadModelStore({ name }),
    batchSize: BATCH,
    logger: benchLogger,
    onCommit: (info) => {
      committed += info.entryIds.length;
      if (committed >= events) resolveDone();
    },
  });
  const timer = setTimeout(() => {
    console.error(
      `${name}: ${committed} of ${events} events committed after 120 s; partitions ${JSON.stringify(runner.ownedPartitions())}`,
    );
  }, 120_000);
  await done;
  clearTimeout(timer);
  const seconds = (performance.now() - started) / 1000;
  const sample = (await runner.get("account-0")) as { count: number } | undefined;
  await runner.stop();
  if (sample?.count !== PER_AGGREGATE) throw new Error(`${name}: account-0 has ${sample?.count}`);
  return Math.round(events / seconds);
}

async function main() {
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${DATABASE} ENCODING 'UTF8' TEMPLATE template0`);
  const pgUrl = new URL(ADMIN_URL);
  pgUrl.pathname = `/${DATABASE}`;
  const url = pgUrl.href;
  const server = await startRedisServer();
  const redis = new Redis(server.url, { maxRetriesPerRequest: null });
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const archive = createPostgresArchive({ connectionString: url });
  const memoryArchive = createPostgresArchive({ connectionString: url, table: "memory_events" });
  const random = seededRandom(SEED);
  try {
    // ---- (d) memory per aggregate: hot, then archived and idle ------------------------------
    const memoryPrefix = "mem";
    const memoryStore = getRedisEventStore({
      redis,
      events: benchEvents,
      prefix: memoryPrefix,
      logger: silentLogger,
      serverCheck: "off",
    });
    await memoryStore.append("warm-0", [{ type: "Deposited", data: benchPayload }]);
    await waitForClients(redis, 1);
    const memoryBase = await infoNumber(redis, "memory", "used_memory");
    let filledAt = performance.now();
    const memoryNewest = await fill(
      server.url,
      [memoryPrefix],
      MEMORY_AGGREGATES,
      MEMORY_EVENTS_PER_AGGREGATE,
      random,
    );
    await waitForClients(redis, 1);
    const memoryHot = await infoNumber(redis, "memory", "used_memory");
    const sampleIndex = keyLayout(memoryPrefix).index("account", 0, "1");
    const hotIndex = {
      strlen: await redis.strlen(sampleIndex),
      memoryUsage: Number(await redis.memory("USAGE", sampleIndex, "SAMPLES", "0")),
    };
    console.log(
      `memory: filled ${MEMORY_AGGREGATES} x ${MEMORY_EVENTS_PER_AGGREGATE} events in ${Math.round(performance.now() - filledAt)} ms`,
    );
    await waitForRedisTimePast(redis, memoryNewest + 1000);
    await archiveAll(
      redis,
      memoryArchive,
      memoryPrefix,
      MEMORY_AGGREGATES * MEMORY_EVENTS_PER_AGGREGATE,
    );
    await waitForClients(redis, 1);
    const memoryArchived = await infoNumber(redis, "memory", "used_memory");
    const archivedIndex = {
      strlen: await redis.strlen(sampleIndex),
      memoryUsage: Number(await redis.memory("USAGE", sampleIndex, "SAMPLES", "0")),
    };
    if (archivedIndex.strlen !== 7)
      throw new Error(`an archived index has ${archivedIndex.strlen} B`);
    const memory = {
      aggregates: MEMORY_AGGREGATES,
      eventsPerAggregate: MEMORY_EVENTS_PER_AGGREGATE,
      hotBytesPerAggregate: round((memoryHot - memoryBase) / MEMORY_AGGREGATES, 1),
      archivedBytesPerAggregate: round((memoryArchived - memoryBase) / MEMORY_AGGREGATES, 1),
      ratio: round((memoryArchived - memoryBase) / (memoryHot - memoryBase), 3),
      freedBytesPerEvent: round(
        (memoryHot - memoryArchived) / (MEMORY_AGGREGATES * MEMORY_EVENTS_PER_AGGREGATE),
        1,
      ),
      hotIndex,
      archivedIndex,
    };
    console.log(`memory: ${JSON.stringify(memory)}`);

    // ---- fill the archived (A) and hot (H) prefixes with the same events --------------------
    filledAt = performance.now();
    const newestMs = await fill(server.url, ["arc", "hot"], AGGREGATES, PER_AGGREGATE, random);
    console.log(
      `filled ${AGGREGATES} x ${PER_AGGREGATE} events twice in ${Math.round(performance.now() - filledAt)} ms`,
    );
    const archived = getRedisEventStore({
      redis,
      events: benchEvents,
      prefix: "arc",
      archive,
      logger: silentLogger,
      serverCheck: "off",
    });
    const hot = getRedisEventStore({
      redis,
      events: benchEvents,
      prefix: "hot",
      logger: silentLogger,
      serverCheck: "off",
    });
    const logEntries = (await redis.xrange(
      archived.keys.log("account", 0),
      "-",
      "+",
    )) as RawStreamEntry[];
    const entries = logEntries.map((entry) => archivedEntryOf("account", 0, entry));
    if (entries.length !== AGGREGATES * PER_AGGREGATE) throw new Error(`${entries.length} entries`);

    // ---- (a) archive throughput --------------------------------------------------------------
    const bareBefore = await bareInsert(url, sql, "bare_events_1", entries);
    console.log(`bare multi-row INSERT (before): ${bareBefore.eventsPerSecond} events/s`);
    await waitForRedisTimePast(redis, newestMs + 1000);
    // Where the archiver's time goes: its archive writes (timed around each call), and Redis's
    // own time in the trim function (FCALL) and the XRANGE pages (INFO commandstats).
    const timedArchive = timedWrites(archive);
    await redis.config("RESETSTAT");
    const archiver = await archiveAll(redis, timedArchive, "arc", entries.length);
    const redisStats = await commandStats(redis);
    const perThousand = (usec: number) => round(usec / 1000 / (entries.length / BATCH), 2);
    const archiverTime = {
      totalMsPer1000: round((archiver.seconds * 1000) / (entries.length / BATCH), 2),
      archiveWriteMsPer1000: round(timedArchive.writeMs() / (entries.length / BATCH), 2),
      trimScriptRedisMsPer1000: perThousand(redisStats.fcall?.usec ?? 0),
      xrangeRedisMsPer1000: perThousand(redisStats.xrange?.usec ?? 0),
    };
    console.log(
      `archiver: ${archiver.eventsPerSecond} events/s (${archiver.seconds} s); ${JSON.stringify(archiverTime)}`,
    );
    const bareAfter = await bareInsert(url, sql, "bare_events_2", entries);
    console.log(`bare multi-row INSERT (after): ${bareAfter.eventsPerSecond} events/s`);
    if ((await redis.xlen(archived.keys.log("account", 0))) !== 0) throw new Error("not trimmed");
    const [stats] = await archive.stats();
    const [tableSize] = await sql<{ bytes: string }[]>`
      SELECT pg_total_relation_size('streamstore_events') AS bytes`;
    const bareMean = (bareBefore.eventsPerSecond + bareAfter.eventsPerSecond) / 2;
    const archiving = {
      events: entries.length,
      batch: BATCH,
      archiver,
      bareBefore,
      bareAfter,
      ratio: round(archiver.eventsPerSecond / bareMean),
      archiverTime,
      rowBytesPerEvent: round((stats?.bytes ?? 0) / entries.length, 1),
      tableBytesPerEvent: round(Number(tableSize?.bytes) / entries.length, 1),
    };

    // ---- (b) rebuild from the archive vs from the Redis log ----------------------------------
    const fromArchive: number[] = [];
    const fromRedis: number[] = [];
    for (let r = 1; r <= ROUNDS; r++) {
      const sides = [
        async () => {
          fromRedis.push(await rebuild(redis, hot, `rebuild-redis-${r}`, entries.length));
          console.log(`rebuild from the Redis log #${r}: ${fromRedis.at(-1)} events/s`);
        },
        async () => {
          fromArchive.push(
            await rebuild(redis, archived, `rebuild-archive-${r}`, entries.length, archive),
          );
          console.log(`rebuild from the archive #${r}: ${fromArchive.at(-1)} events/s`);
        },
      ];
      if (r % 2 === 0) sides.reverse();
      for (const side of sides) await side();
    }
    const rebuilding = {
      events: entries.length,
      rounds: ROUNDS,
      fromRedis: { median: median(fromRedis), runs: fromRedis },
      fromArchive: { median: median(fromArchive), runs: fromArchive },
      ratio: round(median(fromArchive) / median(fromRedis)),
    };

    // ---- (c) read() of a 100-event aggregate: archived, hot, bare SELECT ----------------------
    const pick = () => `account-${Math.floor(random() * AGGREGATES)}`;
    let checksum = 0;
    const storeRead = async (store: EventStore<typeof benchEvents>) => {
      const name = pick();
      let count = 0;
      for await (const event of store.read(name)) {
        checksum += event.data.amount;
        count++;
      }
      if (count !== PER_AGGREGATE) throw new Error(`${name}: ${count} events`);
    };
    const bareSelect = async () => {
      const rows = await sql.unsafe<{ data: string }[]>(
        "SELECT position_ms, position_seq, version, event_id, type, data::text AS data, metadata::text AS metadata, schema_version FROM streamstore_events WHERE stream = $1 ORDER BY version",
        [pick()],
        { prepare: true },
      );
      for (const row of rows) checksum += (JSON.parse(row.data) as { amount: number }).amount;
      if (rows.length !== PER_AGGREGATE) throw new Error(`${rows.length} rows`);
    };
    const [archivedReads, hotReads, bareReads] = await alternate(ITERATIONS, 50, [
      () => storeRead(archived),
      () => storeRead(hot),
      bareSelect,
    ]);
    const reads = {
      events: PER_AGGREGATE,
      iterations: ITERATIONS,
      archived: summarise(archivedReads ?? []),
      hot: summarise(hotReads ?? []),
      bareSelect: summarise(bareReads ?? []),
    };
    const readRatios = {
      archivedOverHotP50: round(reads.archived.p50 / reads.hot.p50),
      archivedOverHotP99: round(reads.archived.p99 / reads.hot.p99),
      archivedOverBareP50: round(reads.archived.p50 / reads.bareSelect.p50),
      archivedOverBareP99: round(reads.archived.p99 / reads.bareSelect.p99),
    };
    console.log(`reads: ${JSON.stringify(reads)} ${JSON.stringify(readRatios)}`);

    const [pgVersion] = await sql<{ version: string }[]>`SELECT version()`;
    const meta = {
      date: new Date().toISOString(),
      node: process.version,
      cores: cpus().length,
      cpu: cpus()[0]?.model,
      redis: await redisVersion(redis),
      postgres: pgVersion?.version.split(" on ")[0],
      loadAverageAtEnd: loadavg().map((value) => round(value)),
      seed: SEED,
      checksum,
    };
    const results = {
      meta,
      archiving,
      rebuilding,
      reads: { ...reads, ratios: readRatios },
      memory,
    };
    await mkdir(new URL("./results/", import.meta.url), { recursive: true });
    await writeFile(
      new URL("./results/archive.json", import.meta.url),
      `${JSON.stringify(results, null, 2)}\n`,
    );
    await writeFile(new URL("./results/archive.md", import.meta.url), renderMarkdown(results));
  } finally {
    await archive.close();
    await memoryArchive.close();
    await sql.end({ timeout: 5 });
    redis.disconnect();
    await server.stop();
    await admin.unsafe(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
    await admin.end();
  }
}

type Results = {
  meta: Record<string, unknown> & { loadAverageAtEnd: number[] };
  archiving: {
    events: number;
    archiver: { eventsPerSecond: number; seconds: number };
    bareBefore: { eventsPerSecond: number; seconds: number };
    bareAfter: { eventsPerSecond: number; seconds: number };
    ratio: number;
    archiverTime: {
      totalMsPer1000: number;
      archiveWriteMsPer1000: number;
      trimScriptRedisMsPer1000: number;
      xrangeRedisMsPer1000: number;
    };
    rowBytesPerEvent: number;
    tableBytesPerEvent: number;
  };
  rebuilding: {
    events: number;
    rounds: number;
    fromRedis: { median: number; runs: number[] };
    fromArchive: { median: number; runs: number[] };
    ratio: number;
  };
  reads: {
    iterations: number;
    archived: Latency;
    hot: Latency;
    bareSelect: Latency;
    ratios: Record<string, number>;
  };
  memory: {
    aggregates: number;
    eventsPerAggregate: number;
    hotBytesPerAggregate: number;
    archivedBytesPerAggregate: number;
    ratio: number;
    freedBytesPerEvent: number;
    hotIndex: { strlen: number; memoryUsage: number };
    archivedIndex: { strlen: number; memoryUsage: number };
  };
};

function renderMarkdown({ meta, archiving, rebuilding, reads, memory }: Results): string {
  return `# bench:archive

${meta.date}, Node ${meta.node}, ${meta.cores} cores (${meta.cpu}), Redis ${meta.redis} (private, no persistence), ${meta.postgres} on the same machine (127.0.0.1, default settings, driver postgres.js as @streamstore/archive uses it). The machine is shared with other work (load average at the end: ${meta.loadAverageAtEnd.join(", ")}): absolute figures move with it; the ratios compare sides measured in the same run.

Data: one category, one partition; ${AGGREGATES.toLocaleString("en")} aggregates of ${PER_AGGREGATE} events (${archiving.events.toLocaleString("en")} events, 192 B JSON payloads), appended one event per call in a shuffled order (seed ${meta.seed}) to two prefixes at once: \`arc\` (archived whole: keepEvents 0) and \`hot\` (never archived), so both hold the same events.

## Archive throughput

The archiver (\`startArchiver\`, batchSize ${BATCH}: per step one XRANGE, one archive transaction, one fenced trim script) moving the whole \`arc\` log into PostgreSQL and trimming it from Redis, timed from its start to the seam reaching the last event. Bare = one multi-row \`INSERT … VALUES\` (11 parameters per row, JSON cast from text) per ${BATCH} rows, one transaction each, \`ON CONFLICT DO NOTHING\`, with the same driver into an empty table of the archive's DDL, the same rows (read from the \`arc\` log): once before the archiver, once after.

| | events/s | seconds |
| --- | ---: | ---: |
| archiver (copy → commit → trim) | ${archiving.archiver.eventsPerSecond} | ${archiving.archiver.seconds} |
| bare multi-row INSERT, before | ${archiving.bareBefore.eventsPerSecond} | ${archiving.bareBefore.seconds} |
| bare multi-row INSERT, after | ${archiving.bareAfter.eventsPerSecond} | ${archiving.bareAfter.seconds} |
| archiver / mean of the bare runs | ${archiving.ratio} | |

Where the archiver's time goes, per step of ${BATCH} events: ${archiving.archiverTime.totalMsPer1000} ms in all, of which ${archiving.archiverTime.archiveWriteMsPer1000} ms in \`archive.write\` (the PostgreSQL transaction: \`INSERT … SELECT FROM unnest\` into the events table and its two unique indexes), ${archiving.archiverTime.trimScriptRedisMsPer1000} ms of Redis time in the trim script (XTRIM, the seam, and a GETRANGE + SET per aggregate index of the step), ${archiving.archiverTime.xrangeRedisMsPer1000} ms of Redis time in the XRANGE page; the rest is the archiver's client work and round trips (consumer groups, TIME, the seam, XLEN, the lease).

In PostgreSQL an archived event takes ${archiving.rowBytesPerEvent} B of row (\`pg_column_size\`, what \`archive.stats()\` reports) and ${archiving.tableBytesPerEvent} B of table with its indexes and TOAST (\`pg_total_relation_size\`).

## Rebuild: a projection from the archive vs from the Redis log

The same projection (balance and count per aggregate, in-memory read model, batchSize ${BATCH}) built from scratch over the same ${rebuilding.events.toLocaleString("en")} events: on \`hot\` it reads the Redis log; on \`arc\` (log empty, seam at the last event) it reads every entry through the archive (\`readPartition\` pages of ${BATCH}). ${rebuilding.rounds} rounds, the side that goes first alternating; events/s to the last commit.

| | median events/s | runs |
| --- | ---: | --- |
| from the Redis log | ${rebuilding.fromRedis.median} | ${rebuilding.fromRedis.runs.join(", ")} |
| from the archive (PostgreSQL) | ${rebuilding.fromArchive.median} | ${rebuilding.fromArchive.runs.join(", ")} |
| archive / Redis | ${rebuilding.ratio} | |

## read() of a 100-event aggregate

\`store.read\` of a whole random aggregate, ${reads.iterations} requests per side, one at a time, the sides alternating. Archived: the read script returns the index header (100 archived versions, nothing hot), then one \`readStream\` query to PostgreSQL. Hot: the same aggregate's events from Redis (one read script call). Bare SELECT: the 100 rows of one stream by version (\`data::text\`), prepared, + JSON.parse of each payload, same driver.

| | p50 ms | p99 ms | mean ms |
| --- | ---: | ---: | ---: |
| archived (Redis + PostgreSQL) | ${reads.archived.p50} | ${reads.archived.p99} | ${reads.archived.mean} |
| hot (Redis) | ${reads.hot.p50} | ${reads.hot.p99} | ${reads.hot.mean} |
| bare SELECT of the 100 rows + JSON.parse | ${reads.bareSelect.p50} | ${reads.bareSelect.p99} | ${reads.bareSelect.mean} |

Archived / hot: ${reads.ratios.archivedOverHotP50}× at p50, ${reads.ratios.archivedOverHotP99}× at p99. Archived / bare SELECT: ${reads.ratios.archivedOverBareP50}× at p50, ${reads.ratios.archivedOverBareP99}× at p99.

## Redis memory per aggregate: hot vs archived and idle

${memory.aggregates.toLocaleString("en")} aggregates of ${memory.eventsPerAggregate} events (one-event appends, shuffled), used_memory delta over the empty prefix divided by the aggregates: hot, then after the archiver moved every event (keepEvents 0) and stopped. An idle, fully archived aggregate keeps only its index key, a ${memory.archivedIndex.strlen}-byte header (MEMORY USAGE ${memory.archivedIndex.memoryUsage} B; hot it was ${memory.hotIndex.strlen} B of records, MEMORY USAGE ${memory.hotIndex.memoryUsage} B).

| | B per aggregate |
| --- | ---: |
| hot (${memory.eventsPerAggregate} events in the log + index) | ${memory.hotBytesPerAggregate} |
| archived, idle (index header only) | ${memory.archivedBytesPerAggregate} |
| archived / hot | ${memory.ratio} |

Archiving freed ${memory.freedBytesPerEvent} B of used_memory per archived event.
`;
}

await main();
