import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { INDEX_HEADER_BYTES, INDEX_RECORD_BYTES, silentLogger } from "@streamstore/core";
import { keyLayout } from "@streamstore/core/internal";
import { type RedisServerHandle, startRedisServer } from "@streamstore/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { balances } from "../../../examples/bank-account/src/balances.js";
import {
  createTestDatabase,
  TEST_PASSWORD,
  type TestDatabase,
  until,
  waitForRedisTime,
} from "./support/archiveDatabase.js";
import { catchUp } from "./support/catchUp.js";
import {
  type CliRun,
  CONFIG,
  deleteKeysUnder,
  finished,
  randomPrefix,
  runCli,
  startCli,
} from "./support/cli.js";
import { type SeededBank, seedBankExample } from "./support/seedBankExample.js";
import { inTerminal } from "./support/terminal.js";

// Issue 15: the CLI and the dashboard know the cold tier. The real binary runs against the run's
// private Redis, seeded by the bank example plus 300 deposits (account-0, -1, -2: 100 each), and
// a PostgreSQL database of this file's own as the archive (dropped after). Waits are on the
// binary's output and on conditions in Redis, never fixed sleeps.

const ARCHIVE_CONFIG = fileURLToPath(new URL("./fixtures/archive.config.ts", import.meta.url));
const redisUrl = inject("redisUrl");
const prefix = randomPrefix("archive");
const keys = keyLayout(prefix);
const log = keys.log("account", 0);
let redis: SeededBank["redis"];
let store: SeededBank["store"];
let database: TestDatabase;
let eventsInLog = 0;

const cli = (args: string[], env: Record<string, string> = {}) =>
  runCli([...args, "--prefix", prefix], { REDIS_URL: redisUrl, ...env });
const withArchive = (...args: string[]) => cli([...args, "--archive-url", database.url]);
const json = <T>(run: CliRun): T => JSON.parse(run.stdout) as T;
/** Nothing the binary printed holds the archive's password. */
const expectMasked = (run: { stdout: string; stderr: string } | { screen: string }) =>
  expect(JSON.stringify(run)).not.toContain(TEST_PASSWORD);

/** What PostgreSQL holds for the account partition. */
async function archiveHolds(): Promise<{ events: number; bytes: number; last: string | null }> {
  const [row] = await database.sql.unsafe<
    { events: string; bytes: string | null; last: string | null }[]
  >(
    `SELECT count(*)::text AS events, sum(pg_column_size(e.*))::text AS bytes,
       (SELECT position_ms::text || '-' || position_seq::text FROM streamstore_events
        WHERE category = 'account' AND partition = 0
        ORDER BY position_ms DESC, position_seq DESC LIMIT 1) AS last
     FROM streamstore_events e WHERE category = 'account' AND partition = 0`,
  );
  return {
    events: Number(row?.events ?? 0),
    bytes: Number(row?.bytes ?? 0),
    last: row?.last ?? null,
  };
}

beforeAll(async () => {
  database = await createTestDatabase();
  ({ redis, store } = await seedBankExample({ redisUrl, prefix, history: { accounts: 3 } }));
  // The balances projection read every event (the archiver never trims what a group has not).
  await catchUp(balances, { redis, prefix, logger: silentLogger, batchSize: 2000 });
  eventsInLog = await redis.xlen(log);
  // Every event older than the archiver's minimum age (1 s) in the tests below.
  await waitForRedisTime(redis, 1100);
}, 120_000);

afterAll(async () => {
  await deleteKeysUnder(redis, prefix);
  await redis.quit();
  await database?.drop();
});

describe("streamstore archive without an archive", () => {
  it("refuses to run (exit code 2, saying how to give one), and status shows Redis's side only", async () => {
    // Given no --archive-url, no STREAMSTORE_ARCHIVE_URL and a config without an archive
    // When the archiver is started, with a URL that is not PostgreSQL, and status is asked
    const run = await cli(["archive", "run", "--keep-events", "50", "--until-idle"]);
    const notPostgres = await cli([
      "archive",
      "run",
      "--keep-events",
      "50",
      "--archive-url",
      `mysql://root:${TEST_PASSWORD}@db/events`,
    ]);
    const status = await cli(["archive", "status"]);
    const statusJson = await cli(["archive", "status", "--json"]);

    // Then the run is a usage error naming the three ways, and status reports Redis alone
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("[streamstore] archive run needs an archive");
    expect(run.stderr).toContain("--archive-url postgres://");
    expect(run.stderr).toContain("STREAMSTORE_ARCHIVE_URL");
    expect(run.stderr).toContain("createPostgresArchive({ connectionString })");
    expect(notPostgres.code).toBe(2);
    expect(notPostgres.stderr).toContain("is not a PostgreSQL URL");
    expectMasked(notPostgres);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain("archive not given");
    expect(status.stderr).toContain("The archive was not given");
    const parsed = json<{
      archive: string | null;
      partitions: { hotEntries: number; archivedEvents: number; archiveEvents: number | null }[];
    }>(statusJson);
    expect(parsed.archive).toBeNull();
    expect(parsed.partitions).toMatchObject([
      { hotEntries: eventsInLog, archivedEvents: 0, archiveEvents: null },
    ]);
  });
});

describe("streamstore archive run --until-idle, then status", () => {
  it("archives everything beyond the config's policy, exits 0, and status (table and JSON) equals what Redis and PostgreSQL hold", async () => {
    // Given the config's archive (this file's database) and policy: keep the newest 50 events
    // When the archiver runs until nothing is left, with JSON progress
    const run = await cli(
      ["archive", "run", "--until-idle", "--json", "--config", ARCHIVE_CONFIG],
      {
        STREAMSTORE_TEST_ARCHIVE_URL: database.url,
      },
    );

    // Then it archived all but 50, said where it archived to, and ended idle with exit code 0
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(
      `Archiving prefix "${prefix}" into the config's archive (worker streamstore-cli@`,
    );
    expect(run.stderr).toContain("account keeps the newest 50 events of each partition");
    const summary = json<{ status: string; archived: number; partitions: { state: string }[] }>(
      run,
    );
    expect(summary.status).toBe("idle");
    expect(summary.archived).toBe(eventsInLog - 50);
    // (one JSON progress line per change on stderr)
    const progress = run.stderr
      .split("\n")
      .filter((line) => line.startsWith('{"progress"'))
      .map((line) => (JSON.parse(line) as { progress: { archived: number } }).progress.archived);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress).toEqual([...progress].sort((left, right) => left - right));

    // And status, with the archive given by URL, reports exactly what Redis and PostgreSQL hold
    const table = await withArchive("archive", "status");
    const parsed = json<{
      archive: string;
      partitions: {
        category: string;
        partition: number;
        hotEntries: number;
        hotBytes: number;
        archivedEvents: number;
        seamPosition: string;
        seamAt: string;
        archiveEvents: number;
        archiveBytes: number;
        archiveLastPosition: string;
        lease: string | null;
      }[];
      totals: { hotEntries: number; archiveEvents: number; archiveBytes: number };
    }>(await withArchive("archive", "status", "--json"));
    const held = await archiveHolds();
    const seam = await redis.hgetall(keys.archived("account", 0));
    expect(held.events).toBe(eventsInLog - 50);
    expect(parsed.archive).toBe(database.url.replace(TEST_PASSWORD, "***"));
    expect(parsed.partitions).toEqual([
      {
        category: "account",
        partition: 0,
        log,
        hotEntries: await redis.xlen(log),
        hotBytes: Number(await redis.call("MEMORY", "USAGE", log)),
        archivedEvents: Number(seam.events),
        seamPosition: seam.position,
        seamAt: new Date(Number(seam.position?.split("-")[0])).toISOString(),
        archiveEvents: held.events,
        archiveBytes: held.bytes,
        archiveLastPosition: held.last,
        lease: null,
      },
    ]);
    expect(parsed.partitions[0]?.hotEntries).toBe(50);
    expect(Number(seam.events)).toBe(held.events);
    expect(seam.position).toBe(held.last);
    expect(parsed.totals).toMatchObject({
      hotEntries: 50,
      archiveEvents: held.events,
      archiveBytes: held.bytes,
    });
    expect(table.code).toBe(0);
    expect(table.stdout).toContain(`archive ${database.url.replace(TEST_PASSWORD, "***")}`);
    expect(table.stdout).toMatch(
      new RegExp(
        `│ account\\s+│ 0\\s+│ 50\\s+│ [0-9.]+ KiB\\s+│ ${held.events}\\s+│ ${held.events}\\s+│ [0-9.]+ KiB\\s+│ ${seam.position}`,
      ),
    );
    expectMasked(table);
  });
});

describe("streamstore stream show across the seam", () => {
  it("reads archived versions from the archive and hot ones from Redis, decoded and raw", async () => {
    // Given account-2 (100 deposits of amount = version) with versions 1-50 archived
    expect(await redis.strlen(keys.index("account", 0, "2"))).toBe(
      INDEX_HEADER_BYTES + 50 * INDEX_RECORD_BYTES,
    );

    // When versions 45-54 are shown decoded, raw, and newest first, with the archive
    const decoded = await withArchive(
      "stream",
      "show",
      "account-2",
      "--from",
      "45",
      "--limit",
      "10",
      "--json",
      "--config",
      CONFIG,
    );
    const raw = await withArchive(
      "stream",
      "show",
      "account-2",
      "--from",
      "45",
      "--limit",
      "10",
      "--json",
    );
    const newest = await withArchive(
      "stream",
      "show",
      "account-2",
      "--from",
      "55",
      "--limit",
      "10",
      "--newest-first",
      "--json",
    );
    const table = await withArchive("stream", "show", "account-2", "--from", "49", "--limit", "4");

    // Then the versions are contiguous across the seam, each from its tier, with its own data
    type Shown = {
      version: number;
      archived: number;
      events: { version: number; data: unknown; decoded: boolean; from: string; type: string }[];
    };
    const summary = (run: CliRun) =>
      json<Shown>(run).events.map((event) => [
        event.version,
        event.from,
        event.data,
        event.decoded,
      ]);
    const expected = (versions: number[], decodedFlag: boolean) =>
      versions.map((version) => [
        version,
        version <= 50 ? "archive" : "redis",
        { amount: version },
        decodedFlag,
      ]);
    expect(decoded.code, decoded.stderr).toBe(0);
    expect(json<Shown>(decoded)).toMatchObject({ version: 100, archived: 50 });
    expect(summary(decoded)).toEqual(expected([45, 46, 47, 48, 49, 50, 51, 52, 53, 54], true));
    expect(raw.code).toBe(0);
    expect(summary(raw)).toEqual(expected([45, 46, 47, 48, 49, 50, 51, 52, 53, 54], false));
    expect(summary(newest)).toEqual(expected([55, 54, 53, 52, 51, 50, 49, 48, 47, 46], false));
    expect(table.stdout).toContain("account-2  version 100 (50 archived)");
    expect(table.stdout).toMatch(/│ 50 \(archive\)\s+│ Deposited/);
    expect(table.stdout).toMatch(/│ 51\s+│ Deposited/);
    expect(table.stdout).toContain("continue with --from 53");
    expectMasked(decoded);
  });

  it("without an archive, shows the hot versions and says how many are archived and how to see them", async () => {
    // Given account-2 half archived, account-alice wholly archived, no archive given
    // When both are shown
    const half = await cli(["stream", "show", "account-2", "--json"]);
    const whole = await cli(["stream", "show", "account-alice"]);
    const backward = await cli([
      "stream",
      "show",
      "account-2",
      "--newest-first",
      "--limit",
      "60",
      "--json",
    ]);

    // Then the hot versions are shown, the archived ones named, and nothing fails
    const versions = (run: CliRun) =>
      json<{ events: { version: number }[] }>(run).events.map((event) => event.version);
    expect(half.code).toBe(0);
    expect(versions(half)).toEqual(Array.from({ length: 50 }, (_, index) => 51 + index));
    expect(half.stderr).toContain(
      "versions 1-50 are archived (moved out of Redis by the archiver) and not shown: no archive was given",
    );
    expect(half.stderr).toContain("--archive-url");
    expect(backward.code).toBe(0);
    expect(versions(backward)).toEqual(Array.from({ length: 50 }, (_, index) => 100 - index));
    expect(whole.code).toBe(0);
    expect(whole.stdout).toContain("account-alice  version 8 (8 archived)");
    expect(whole.stderr).toContain("versions 1-8 are archived");
  });
});

describe("streamstore categories and the dashboard with an archive", () => {
  it("show per category partition the events in Redis and archived, and the archive's size", async () => {
    // Given the account partition archived but for 50 events
    const held = await archiveHolds();

    // When categories are listed with the archive, and the dashboard serves its snapshot
    const table = await withArchive("categories");
    const parsed = json<{
      archive: string;
      logs: {
        length: number;
        memoryBytes: number;
        archivedEvents: number;
        seamPosition: string;
        archiveEvents: number;
        archiveBytes: number;
      }[];
    }>(await withArchive("categories", "--json"));
    const dashboard = startCli(
      ["dashboard", "--port", "0", "--prefix", prefix, "--archive-url", database.url],
      { REDIS_URL: redisUrl },
    );
    const ended = finished(dashboard);
    const url = await new Promise<string>((resolve, reject) => {
      let stdout = "";
      dashboard.stdout?.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /streamstore dashboard on (http:\/\/\S+)/.exec(stdout);
        if (match) resolve(match[1] as string);
      });
      dashboard.once("close", () => reject(new Error(`the dashboard ended: ${stdout}`)));
    });
    const snapshot = (await (await fetch(new URL("api/snapshot", url))).json()) as {
      snapshot: {
        partitions: {
          category: string;
          hotEntries: number;
          archivedEvents: number;
          archiveEvents: number;
          archiveBytes: number;
        }[];
        archive: { target: string; problem: string | null };
      };
    };
    const page = await (await fetch(url)).text();
    dashboard.kill("SIGINT");
    const stopped = await ended;

    // Then both say 50 in Redis and the rest archived, with the archive's bytes
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/│ archived\s+│ archive size\s+│/);
    expect(table.stdout).toMatch(
      new RegExp(`│ 50\\s+│ ${eventsInLog}\\s+│.*│ ${held.events}\\s+│ [0-9.]+ KiB`),
    );
    expect(parsed.logs[0]).toMatchObject({
      length: 50,
      archivedEvents: held.events,
      seamPosition: held.last,
      archiveEvents: held.events,
      archiveBytes: held.bytes,
    });
    expect(snapshot.snapshot.partitions).toMatchObject([
      {
        category: "account",
        hotEntries: 50,
        archivedEvents: held.events,
        archiveEvents: held.events,
        archiveBytes: held.bytes,
      },
    ]);
    expect(snapshot.snapshot.archive).toEqual({
      target: database.url.replace(TEST_PASSWORD, "***"),
      statsAt: expect.any(Number),
      problem: null,
    });
    expect(page).toContain('<table id="tiers">');
    expect(stopped.code).toBe(0);
    expectMasked(stopped);
  });
});

describe("streamstore doctor and the archive", () => {
  let safe: RedisServerHandle;
  beforeAll(async () => {
    // A Redis doctor passes (AOF always, noeviction), so that the archive alone decides.
    safe = await startRedisServer({ args: ["--appendonly", "yes", "--appendfsync", "always"] });
  });
  afterAll(async () => {
    await safe?.stop();
  });
  const doctor = (...args: string[]) =>
    runCli(["doctor", "--prefix", "shop", ...args], { REDIS_URL: safe.url });

  it("passes with a reachable archive, notes when none is configured, and fails (exit 3, the typed error's message, password masked) when it cannot be used", async () => {
    // Given this file's database, a port nothing listens on, and a database of another schema version
    const closed = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, "127.0.0.1", () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const unreachable = `postgres://streamstore:${TEST_PASSWORD}@127.0.0.1:${closed}/events`;
    const other = await createTestDatabase();
    try {
      await other.sql.unsafe(
        "CREATE TABLE streamstore_events_meta (name text PRIMARY KEY, value text NOT NULL)",
      );
      await other.sql.unsafe("INSERT INTO streamstore_events_meta VALUES ('schema_version', '99')");

      // When doctor runs with each, and with none
      const reachable = await doctor("--archive-url", database.url);
      const none = await doctor();
      const down = await doctor("--archive-url", unreachable);
      const downJson = await doctor("--archive-url", unreachable, "--json");
      const foreign = await doctor("--archive-url", other.url);

      // Then the reachable one passes with its schema version, none is a note, the others fail
      expect(reachable.code, reachable.stdout).toBe(0);
      expect(reachable.stdout).toMatch(
        /ok\s+archive\s+reachable, archive schema version 1 \(postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:5432\/streamstore_t_/,
      );
      expect(none.code).toBe(0);
      expect(none.stdout).toMatch(/ok\s+archive\s+not configured/);
      expect(down.code).toBe(3);
      expect(down.stdout).toMatch(/FAIL\s+archive\s+unavailable/);
      expect(down.stdout).toContain(
        `[streamstore] the archive at postgres://streamstore:***@127.0.0.1:${closed}/events is unavailable (ECONNREFUSED`,
      );
      expect(down.stdout).toContain("The archive cannot be used");
      expect(
        json<{ ok: boolean; archive: { status: string; code: string } }>(downJson),
      ).toMatchObject({
        ok: false,
        archive: { status: "fail", code: "ARCHIVE_UNAVAILABLE" },
      });
      expect(foreign.code).toBe(3);
      expect(foreign.stdout).toMatch(/FAIL\s+archive\s+unusable tables/);
      expect(foreign.stdout).toContain("records archive schema version 99");
      for (const run of [reachable, down, downJson, foreign]) expectMasked(run);
    } finally {
      await other.drop();
    }
  });
});

describe("streamstore archive run on a terminal", () => {
  it("redraws one progress line in place, and Ctrl-C stops it with exit code 130 after releasing its lease", async () => {
    // Given 30 more deposits, older than the minimum age, and a policy keeping 10 events
    await store.append(
      "account-3",
      Array.from({ length: 30 }, (_, index) => ({
        type: "Deposited" as const,
        data: { amount: index + 1 },
      })),
    );
    await catchUp(balances, { redis, prefix, logger: silentLogger, batchSize: 2000 });
    await waitForRedisTime(redis, 1100);
    const before = await archiveHolds();

    // When the archiver runs in a terminal until it archived them, then Ctrl-C is typed
    const run = inTerminal(
      [
        "archive",
        "run",
        "--keep-events",
        "10",
        "--min-age",
        "1s",
        "--interval",
        "50",
        "--prefix",
        prefix,
        "--archive-url",
        database.url,
      ],
      { REDIS_URL: redisUrl },
    );
    await run.waitFor(/Ctrl-C to stop\./);
    // (a step that fails, PostgreSQL busy, is retried with a backoff of up to 30 s)
    await run.waitFor(new RegExp(`\\r\\u001b\\[2Karchived ${50 + 30 - 10} events`), 90_000);
    await until(
      async () => (await redis.get(keys.archiver("account", 0))) !== null,
      "the archiver's lease",
    );
    run.type("\u0003");
    const { code, screen } = await run.done;

    // Then the line was redrawn in place, the run stopped cleanly and gave its lease up at once
    expect(code).toBe(130);
    expect(screen).toContain("every category keeps the newest 10 events of each partition");
    expect(screen).toMatch(/account:0: 70 archived, seam \d+-\d+/);
    expect(screen).toContain("[streamstore] stopped by Ctrl-C after archiving 70 events");
    expect(screen).toContain("the leases released");
    expect(await redis.get(keys.archiver("account", 0))).toBeNull();
    expect(await redis.xlen(log)).toBe(10);
    const after = await archiveHolds();
    expect(after.events).toBe(before.events + 70);
    expect(Number(await redis.hget(keys.archived("account", 0), "events"))).toBe(after.events);
    expectMasked({ screen });
  });
});
