import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineEvents, getRedisEventStore, silentLogger } from "@streamstore/core";
import { type RedisServerHandle, startRedisServer } from "@streamstore/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { runCli } from "./support/cli.js";

// Issue 14: `stream show --limit 100000000` held every event and rendered one table of them all
// (cli-table3 crashed with "Maximum call stack size exceeded" at 508 MB). Reads are paged and each
// page is printed before the next is read: the CLI's peak memory stays flat however many events
// there are, and every event is printed. A private server, so that MONITOR sees only this test.

const PRELOAD = fileURLToPath(new URL("./support/reportPeakRss.cjs", import.meta.url));
const events = defineEvents({ Noted: z.object({ n: z.number(), text: z.string() }) });
const PREFIX = "bounded";
// 30,000 events of ~1 KB: before the fix --json peaked at ~290 MB (236 MB at 20,000: it grows with
// the stream), after it ~130 MB at any size (an idle run is ~80 MB). Since pages of more than 16
// versions fetch their entries with XREAD (more garbage per page: the log key in every reply
// entry, the positions as ids), the peak moves with the GC's timing: 191 to 232 MB in three runs
// on 2026-12-06, 163 MB with every entry looked up in the read script.
const EVENTS = 30_000;
const PEAK_RSS_BOUND = 256 * 1024 * 1024;
const PAGE = 1000;

let server: RedisServerHandle;
let redis: Redis;
let scratch: string;

beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url);
  scratch = await mkdtemp(join(tmpdir(), "streamstore-bounded-"));
  const store = getRedisEventStore({ redis, events, prefix: PREFIX, logger: silentLogger });
  const text = "y".repeat(1000);
  const append = async (stream: string, count: number) => {
    for (let first = 0; first < count; first += PAGE) {
      await store.append(
        stream,
        Array.from({ length: Math.min(PAGE, count - first) }, (_, offset) => ({
          type: "Noted" as const,
          data: { n: first + offset + 1, text },
        })),
      );
    }
  };
  await append("bulk-1", EVENTS);
  await append("bulk-2", 2_500);
}, 120_000);

afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** Runs the CLI against the private server, and reads its peak RSS (bytes) after it exited. */
async function runMeasured(args: string[], name: string) {
  const rssFile = join(scratch, `${name}.rss`);
  const run = await runCli([...args, "--prefix", PREFIX], {
    REDIS_URL: server.url,
    NODE_OPTIONS: `--require ${PRELOAD}`,
    STREAMSTORE_TEST_PEAK_RSS_FILE: rssFile,
  });
  return { ...run, peakRss: Number(await readFile(rssFile, "utf8")) };
}

/** Every command the server ran (scripts' commands included) while `action` ran. */
async function monitored<Result>(
  action: () => Promise<Result>,
): Promise<{ result: Result; commands: string[][] }> {
  const monitor = await redis.monitor();
  const commands: string[][] = [];
  monitor.on("monitor", (_time: string, args: string[]) => commands.push(args));
  try {
    const result = await action();
    // A marker sent after the run: once MONITOR relays it, every earlier command was relayed.
    await redis.ping("monitor-marker");
    const deadline = Date.now() + 10_000;
    while (!commands.some((args) => args[0]?.toLowerCase() === "ping")) {
      if (Date.now() > deadline) throw new Error("MONITOR never relayed the marker");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return { result, commands };
  } finally {
    monitor.disconnect();
  }
}

describe("streamstore stream show --limit 100000000", () => {
  it("prints every event as one JSON document, reading pages of 1000, with a bounded peak RSS", async () => {
    // Given a stream of 30,000 events
    // When it is shown as JSON with a limit far above its length, under MONITOR
    const { result: run, commands } = await monitored(() =>
      runMeasured(["stream", "show", "bulk-1", "--limit", "100000000", "--json"], "json"),
    );

    // Then every event is in the document, in order
    expect(run.code, run.stderr).toBe(0);
    const document = JSON.parse(run.stdout) as {
      version: number;
      events: { version: number; data: { n: number } }[];
    };
    expect(document.version).toBe(EVENTS);
    expect(document.events).toHaveLength(EVENTS);
    expect(document.events.every((event, index) => event.version === index + 1)).toBe(true);
    expect(document.events[EVENTS - 1]?.data.n).toBe(EVENTS);

    // And the reads were pages: read-script calls of at most 1000 versions, one per page (its
    // arguments end with start, stop, count and xreadAbove), each followed by one XREAD of that
    // page's entries by position (XREAD COUNT 1 STREAMS <log x n> <id x n>), and no XRANGE
    const reads = commands.filter(([name]) => /^fcall_ro$/i.test(name ?? ""));
    const xreads = commands.filter(([name]) => name?.toLowerCase() === "xread");
    const counts = reads.map((args) => Number(args[args.length - 2]));
    expect(counts.every((count) => count <= PAGE)).toBe(true);
    expect(new Set(reads.map((args) => args[args.length - 4])).size).toBe(EVENTS / PAGE);
    const positionsPerXread = xreads.map((args) => (args.length - 4) / 2);
    expect(positionsPerXread).toEqual(Array.from({ length: EVENTS / PAGE }, () => PAGE));
    expect(commands.filter(([name]) => name?.toLowerCase() === "xrange")).toEqual([]);

    // And the CLI's memory stayed bounded
    expect(run.peakRss).toBeLessThan(PEAK_RSS_BOUND);
  });

  it("prints a table per page for people, every version in one of them", async () => {
    // Given a stream of 2,500 events
    // When it is shown in tables with a limit far above its length
    const run = await runMeasured(["stream", "show", "bulk-2", "--limit", "100000000"], "tables");

    // Then there are three tables (1000, 1000, 500 rows) holding versions 1..2500 in order
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.match(/┌/g)).toHaveLength(3);
    const versions = [...run.stdout.matchAll(/^│ (\d+) +│ Noted/gm)].map((match) =>
      Number(match[1]),
    );
    expect(versions).toEqual(Array.from({ length: 2_500 }, (_, index) => index + 1));
    expect(run.stdout.split("\n")[0]).toContain("bulk-2  version 2500");
    expect(run.peakRss).toBeLessThan(PEAK_RSS_BOUND);
  });
});
