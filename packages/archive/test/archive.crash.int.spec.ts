import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { keyLayout } from "@streamstore/core/internal";
import { type PostgresServerHandle, startPostgresServer } from "@streamstore/testing";
import { deleteKeys } from "@streamstore/testing/contract";
import { Redis } from "ioredis";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createPostgresArchive } from "../src/createPostgresArchive.js";
import {
  compareIds,
  Ledger,
  loadStore,
  seededRandom,
  startWriters,
  streamsDifferingFromLedger,
  waitFor,
  waitForRedisTimePast,
} from "./support/archiveLoad.js";

// Issue 15, crashes: the archiver, in a process of its own, is SIGKILLed 20 times at random
// moments (each time after it archived something since the previous kill) and started again,
// and its PostgreSQL (a private server: never the machine's shared one) is restarted once, while
// writers keep appending. A monitor checks all along that Redis's seam never passes what
// PostgreSQL has committed; at the end nothing is lost, nothing is duplicated.

const KILLS = 20;
const RESTART_POSTGRES_AFTER_KILL = 10;
const CATEGORIES = ["order", "payment"] as const;
const PARTITIONS = 2;
const KEEP = 300;
const BATCH = 100;
const SEED = Number(process.env.STREAMSTORE_SEED ?? Date.now() % 1_000_000);
const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const ARCHIVER_SCRIPT = fileURLToPath(new URL("./support/archiverProcess.ts", import.meta.url));

let server: PostgresServerHandle;
let sql: postgres.Sql;
let admin: Redis;
beforeAll(async () => {
  server = await startPostgresServer();
  sql = postgres(server.url, { max: 2, onnotice: () => {}, connect_timeout: 2 });
  admin = new Redis(inject("redisUrl"));
}, 120_000);
afterAll(async () => {
  await sql?.end({ timeout: 1 });
  await server?.stop();
  await admin?.quit();
});

const CONNECTION_ERROR = /^(ECONNREFUSED|ECONNRESET|CONNECTION_|CONNECT_TIMEOUT|57P0|08)/;

/**
 * Runs a query of the test's own, again while PostgreSQL is restarting (its pool may hand out a
 * connection the restart closed, or connect before the server listens again), up to 30 s.
 */
async function retried<Result>(query: () => PromiseLike<Result>): Promise<Result> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await query();
    } catch (error) {
      const code = String((error as { code?: unknown }).code);
      if (!CONNECTION_ERROR.test(code) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** A child archiver process and the lines it printed. */
interface ArchiverChild {
  process: ChildProcess;
  lines: string[];
  idles(): number;
  /** Resolves when a line matching `pattern` is printed (or rejects when the process exits). */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<number | null>;
}

function startArchiverChild(env: Record<string, string>): ArchiverChild {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--conditions=@streamstore/source", ARCHIVER_SCRIPT],
    { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  const lines: string[] = [];
  let stderr = "";
  const listeners = new Set<(line: string) => void>();
  createInterface({ input: child.stdout as NonNullable<typeof child.stdout> }).on(
    "line",
    (line) => {
      lines.push(line);
      for (const listener of listeners) listener(line);
    },
  );
  child.stderr?.on("data", (chunk: Buffer) => {
    if (stderr.length < 20_000) stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  return {
    process: child,
    lines,
    idles: () => lines.filter((line) => line === "idle").length,
    waitForLine(pattern, timeoutMs = 60_000) {
      const found = lines.find((line) => pattern.test(line));
      if (found) return Promise.resolve(found);
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(listener);
          reject(new Error(`no line ${pattern} within ${timeoutMs} ms; stderr:\n${stderr}`));
        }, timeoutMs);
        const listener = (line: string) => {
          if (!pattern.test(line)) return;
          clearTimeout(timer);
          listeners.delete(listener);
          resolve(line);
        };
        listeners.add(listener);
        void exited.then((code) => {
          if (!listeners.has(listener)) return;
          clearTimeout(timer);
          listeners.delete(listener);
          reject(new Error(`the archiver exited (${code}) before ${pattern}; stderr:\n${stderr}`));
        });
      });
    },
    exited,
  };
}

describe("the archiver under crashes", () => {
  it("loses and duplicates nothing when SIGKILLed 20 times and its PostgreSQL restarts once, and Redis's seam never passes what PostgreSQL committed", async () => {
    const redisUrl = inject("redisUrl");
    const prefix = `arch-crash-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    const keys = keyLayout(prefix);
    const random = seededRandom(SEED + 1);
    const partitions = CATEGORIES.flatMap((category) =>
      Array.from({ length: PARTITIONS }, (_, partition) => ({ category, partition })),
    );
    const archive = createPostgresArchive({ connectionString: server.url });
    const readerRedis = new Redis(redisUrl);
    const ledger = new Ledger();
    const childEnv = {
      ARCHIVER_REDIS_URL: redisUrl,
      ARCHIVER_PG_URL: server.url,
      ARCHIVER_PREFIX: prefix,
      ARCHIVER_KEEP_EVENTS: String(KEEP),
      ARCHIVER_BATCH_SIZE: String(BATCH),
    };
    const startedAt = performance.now();
    const elapsed = () => `${((performance.now() - startedAt) / 1000).toFixed(1)} s`;
    console.log(`[crash] seed ${SEED}, prefix ${prefix}, PostgreSQL on ${server.port}`);

    // The archive's tables exist before the monitor's first query.
    expect(await archive.lastPosition("order", 0)).toBeUndefined();

    /** Each partition's highest committed position in PostgreSQL (undefined: none). */
    const committed = async () => {
      const rows = await retried(() =>
        sql.unsafe<{ category: string; partition: number; position: string | null }[]>(
          `SELECT p.category, p.partition, last.position
         FROM unnest($1::text[], $2::int[]) AS p(category, partition)
         LEFT JOIN LATERAL (
           SELECT position_ms::text || '-' || position_seq::text AS position FROM streamstore_events e
           WHERE e.category = p.category AND e.partition = p.partition
           ORDER BY position_ms DESC, position_seq DESC LIMIT 1) last ON true`,
          [partitions.map((p) => p.category), partitions.map((p) => p.partition)] as never[],
        ),
      );
      return new Map(rows.map((row) => [`${row.category}/${row.partition}`, row.position]));
    };
    const seams = async () => {
      const pipeline = admin.pipeline();
      for (const { category, partition } of partitions)
        pipeline.hmget(keys.archived(category, partition), "position", "events");
      const replies = (await pipeline.exec()) ?? [];
      return new Map<string, { position: string | null; events: number }>(
        partitions.map(({ category, partition }, k) => {
          const [position, events] = (replies[k]?.[1] ?? [null, null]) as (string | null)[];
          return [
            `${category}/${partition}`,
            { position: position ?? null, events: Number(events ?? 0) },
          ];
        }),
      );
    };

    // The monitor: the seam first, then PostgreSQL. The seam only grows and PostgreSQL only
    // commits more, so a seam beyond what PostgreSQL holds afterwards was beyond it already.
    const violations: string[] = [];
    let checks = 0;
    let monitorErrors = 0;
    let monitoring = true;
    const monitor = (async () => {
      while (monitoring) {
        try {
          const seen = await seams();
          const held = await committed();
          for (const [name, seam] of seen) {
            if (seam.position === null) continue;
            const last = held.get(name);
            if (!last || compareIds(seam.position, last) > 0)
              violations.push(`${name}: seam ${seam.position} > committed ${last ?? "nothing"}`);
          }
          checks++;
        } catch {
          monitorErrors++; // PostgreSQL restarting: the next round checks again
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();

    // Every position Redis no longer holds (at or below the seam) is in PostgreSQL, once.
    const holesBelowSeams = async () => {
      const holes: string[] = [];
      for (const [name, seam] of await seams()) {
        if (seam.position === null) continue;
        const [category, partition] = name.split("/") as [string, string];
        const expected = ledger
          .partitionLog(category, Number(partition))
          .filter((event) => compareIds(event.position, seam.position as string) <= 0).length;
        const [ms = "", seq = ""] = seam.position.split("-");
        const [row] = await retried(
          async () =>
            await sql<{ count: string }[]>`
            SELECT count(*) AS count FROM streamstore_events
            WHERE category = ${category} AND partition = ${Number(partition)}
              AND (position_ms, position_seq) <= (${ms}::bigint, ${seq}::bigint)`,
        );
        if (Number(row?.count) !== expected)
          holes.push(`${name}: ${row?.count} rows up to the seam, ${expected} appended`);
      }
      return holes;
    };

    const writers = startWriters({
      redisUrl,
      prefix,
      partitions: PARTITIONS,
      categories: CATEGORIES,
      aggregatesPerCategory: 200,
      writers: 4,
      total: Number.POSITIVE_INFINITY,
      seed: SEED,
      pauseMs: 4,
      ledger,
    });
    const children: ArchiverChild[] = [];
    const startChild = () => {
      const started = startArchiverChild(childEnv);
      children.push(started);
      return started;
    };
    let child = startChild();
    const killedAt: string[] = [];
    // Kills that left PostgreSQL ahead of the seam: after the commit, before the trim.
    let killsBetweenCommitAndTrim = 0;
    let postgresRestarted = false;
    try {
      // Given writers appending and an archiver process that is ready
      await child.waitForLine(/^ready \d+$/);

      // When it is SIGKILLed 20 times, each time at a random moment after it archived something
      // since the previous kill (seen in PostgreSQL on odd kills, in Redis's seam on even ones),
      // and started again; and PostgreSQL restarts once, after the 10th kill
      for (let kill = 1; kill <= KILLS; kill++) {
        const viaArchive = kill % 2 === 1;
        const positions = async () =>
          viaArchive
            ? committed()
            : new Map([...(await seams())].map(([name, seam]) => [name, seam.position]));
        const before = await positions();
        await waitFor(
          `the archiver to archive something before kill ${kill}`,
          async () => {
            for (const [name, position] of await positions()) {
              const previous = before.get(name);
              if (position && (!previous || compareIds(position, previous) > 0)) return true;
            }
            return false;
          },
          { timeoutMs: 60_000, everyMs: 5 },
        );
        // A random moment after the signal: mid-write, between commit and trim, mid-trim, idle.
        const jitterMs = Math.floor(random() * 120);
        if (jitterMs > 0) await new Promise((resolve) => setTimeout(resolve, jitterMs));
        child.process.kill("SIGKILL");
        await child.exited;
        killedAt.push(`${elapsed()} (+${jitterMs} ms)`);
        // Nothing the archiver trimmed is missing from PostgreSQL, right after the crash
        expect(await holesBelowSeams()).toEqual([]);
        const seamsNow = await seams();
        for (const [name, last] of await committed()) {
          const seam = seamsNow.get(name)?.position;
          if (last && (!seam || compareIds(last, seam) > 0)) {
            killsBetweenCommitAndTrim++;
            break;
          }
        }
        child = startChild();
        await child.waitForLine(/^ready \d+$/);
        if (kill === RESTART_POSTGRES_AFTER_KILL) {
          await server.restart({ mode: "fast" });
          postgresRestarted = true;
          console.log(`[crash] ${elapsed()}: PostgreSQL restarted (pg_ctl -m fast restart -w)`);
        }
      }
      const errorLines = children.flatMap((each) =>
        each.lines.filter((line) => line.startsWith("error ")),
      );
      console.log(
        `[crash] kills at ${killedAt.join(", ")}; ${killsBetweenCommitAndTrim} of them after a commit and before its trim; the archiver processes logged ${errorLines.length} failed steps${errorLines[0] ? `, e.g. ${errorLines[0].slice(0, 240)}` : ""}`,
      );

      // Then, once the writers stop and every event is older than the archiver's minimum age,
      // the last archiver process goes idle with only the hot window left in Redis
      await writers.stop();
      await waitForRedisTimePast(admin, writers.newestMs() + 1000);
      const idleBefore = child.idles();
      await waitFor(
        "two idle passes of the archiver after the last event became old enough",
        () => child.idles() >= idleBefore + 2,
        { timeoutMs: 120_000 },
      ).catch((error: Error) => {
        throw new Error(`${error.message}; its last lines:\n${child.lines.slice(-20).join("\n")}`);
      });
      monitoring = false;
      await monitor;
      child.process.kill("SIGTERM");
      await child.exited;

      console.log(
        `[crash] ${elapsed()}: ${ledger.count} events appended; monitor: ${checks} checks, ${monitorErrors} failed queries (PostgreSQL down), ${violations.length} violations`,
      );
      expect(violations).toEqual([]);
      expect(checks).toBeGreaterThan(100);
      expect(postgresRestarted).toBe(true);
      expect(killedAt).toHaveLength(KILLS);

      // And every appended event reads back once, in order, through the store
      const store = loadStore(readerRedis, prefix, PARTITIONS, archive);
      const readBack = await streamsDifferingFromLedger(store, ledger);
      expect(readBack.differing).toEqual([]);
      expect(readBack.events).toBe(ledger.count);

      // And PostgreSQL holds each archived event once, nothing missing and nothing beyond it
      const [counts] = await sql<{ rows: string; positions: string; versions: string }[]>`
        SELECT count(*) AS rows,
          count(DISTINCT (category, partition, position_ms, position_seq)) AS positions,
          count(DISTINCT (stream, version)) AS versions FROM streamstore_events`;
      const rows = await sql<{ key: string; value: string }[]>`
        SELECT category || '/' || partition || '/' || position_ms || '-' || position_seq AS key,
          stream || '|' || version || '|' || event_id AS value FROM streamstore_events`;
      const stored = new Map(rows.map((row) => [row.key, row.value]));
      const finalSeams = await seams();
      let archived = 0;
      const wrong: string[] = [];
      for (const { category, partition } of partitions) {
        const name = `${category}/${partition}`;
        const log = ledger.partitionLog(category, partition);
        const seam = finalSeams.get(name) as { position: string | null; events: number };
        expect(await admin.xlen(keys.log(category, partition))).toBe(KEEP);
        expect(seam.position).toBe(log[log.length - KEEP - 1]?.position);
        expect(seam.events).toBe(log.length - KEEP);
        for (const event of log.slice(0, log.length - KEEP)) {
          const value = stored.get(`${name}/${event.position}`);
          if (value !== `${event.stream}|${event.version}|${event.id}`)
            wrong.push(`${name}/${event.position}: ${value ?? "missing"}`);
        }
        archived += log.length - KEEP;
      }
      expect(wrong).toEqual([]);
      expect(counts).toEqual({
        rows: String(archived),
        positions: String(archived),
        versions: String(archived),
      });
      console.log(
        `[crash] ${elapsed()}: ${archived} events archived across ${KILLS} kills and a PostgreSQL restart, each exactly once`,
      );
    } finally {
      monitoring = false;
      await monitor;
      await writers.stop();
      child.process.kill("SIGKILL");
      await child.exited;
      await archive.close();
      await deleteKeys(admin, `${prefix}:*`);
      readerRedis.disconnect();
    }
  }, 600_000);
});
