import { getRedisEventStore, silentLogger } from "@streamstore/core";
import { startProjection } from "@streamstore/projections";
import { isDirectRun, openBackend } from "../../shared/backend.js";
import { minuteKey, pageViewEvents, viewsPerMinute } from "./pageViews.js";

/** Options of {@link main}. */
export interface MainOptions {
  /** A real Redis to run on; the in-memory fake when absent. */
  redisUrl?: string | undefined;
  /** Where the story goes, one line at a time. Default: stdout. */
  print?: (line: string) => void;
  /** A shorter run (fewer page views), for the tour's `--quick`. */
  quick?: boolean;
}

/** The figures of one run, for the tour and the tests. */
export interface RealtimeAnalyticsSummary {
  eventsAppended: number;
  countedViews: number;
  minutes: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  projectionLag: number;
}

const PATHS = ["/", "/pricing", "/docs", "/blog", "/signup"] as const;
const SIMULATED_START = Date.UTC(2026, 10, 25, 10, 0, 0);
const SIMULATED_MINUTES = 5;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? 0;
}

/**
 * Replays five minutes of site traffic as page-view events, appended live while a projection
 * tails them into per-minute counters; measures how long each view takes from its append to
 * being visible in the read model.
 *
 * @example
 * await main({ redisUrl: process.env.REDIS_URL });
 */
export async function main(options: MainOptions = {}): Promise<RealtimeAnalyticsSummary> {
  const print = options.print ?? ((line: string) => console.log(line));
  const totalViews = options.quick ? 200 : 600;
  const backend = await openBackend("analytics", options.redisUrl);
  print(`Running on ${backend.name} (key prefix "${backend.prefix}").`);
  const store = getRedisEventStore({
    redis: backend.redis,
    events: pageViewEvents,
    prefix: backend.prefix,
    serverCheck: backend.serverCheck,
  });

  // Append -> visible: the time from calling append to the commit that makes the view readable.
  // The commit may be reported before the append's reply arrives, so either side can come first.
  const sentAt = new Map<string, number>();
  const committedAt = new Map<string, number>();
  const latencies: number[] = [];
  const match = (position: string) => {
    const sent = sentAt.get(position);
    const committed = committedAt.get(position);
    if (sent === undefined || committed === undefined) return;
    latencies.push(committed - sent);
    sentAt.delete(position);
    committedAt.delete(position);
  };
  const runner = startProjection(viewsPerMinute, {
    redis: backend.redis,
    store,
    logger: silentLogger,
    onCommit: (info) => {
      const now = performance.now();
      for (const position of info.entryIds) {
        committedAt.set(position, now);
        match(position);
      }
    },
  });

  try {
    print("");
    print("1. Starting the projection before any traffic");
    for (let attempt = 0; attempt < 100; attempt++) {
      const [partition] = (await runner.status()).partitions;
      if (partition?.state === "live") break;
      await sleep(20);
    }
    const [ready] = (await runner.status()).partitions;
    print(
      `   projection "${viewsPerMinute.name}" partition session:0 is ${ready?.state}, tailing with XREADGROUP BLOCK`,
    );

    print("");
    print(
      `2. ${totalViews} page views over ${SIMULATED_MINUTES} simulated minutes, appended live in bursts of 3 every 5 ms`,
    );
    const wallStart = performance.now();
    let appended = 0;
    let random = 42;
    const next = (modulo: number) => {
      // A small deterministic generator: the same traffic on every run.
      random = (random * 1103515245 + 12345) % 2147483648;
      return Math.floor((random / 2147483648) * modulo);
    };
    while (appended < totalViews) {
      const burst = Math.min(3, totalViews - appended);
      await Promise.all(
        Array.from({ length: burst }, async () => {
          const index = appended++;
          const visitor = `v${next(60)}`;
          const at =
            SIMULATED_START + Math.floor((index * SIMULATED_MINUTES * 60_000) / totalViews);
          const started = performance.now();
          const result = await store.append(`session-${visitor}`, [
            { type: "PageViewed", data: { path: PATHS[next(PATHS.length)] ?? "/", visitor, at } },
          ]);
          const position = result.positions[0] as string;
          sentAt.set(position, started);
          match(position);
        }),
      );
      await sleep(5);
    }
    const appendSeconds = (performance.now() - wallStart) / 1000;
    print(
      `   appended ${appended} views in ${appendSeconds.toFixed(1)} s (${Math.round(appended / appendSeconds)} views/s)`,
    );

    await runner.waitUntilCaughtUp(undefined, { timeoutMs: 15_000 });
    const sorted = [...latencies].sort((left, right) => left - right);
    const p50 = percentile(sorted, 0.5);
    const p99 = percentile(sorted, 0.99);
    print(
      `   append -> visible in the read model, over ${sorted.length} views: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${(sorted.at(-1) ?? 0).toFixed(1)} ms`,
    );

    print("");
    print("3. Per-minute counters, read from the projection");
    const keys = Array.from({ length: SIMULATED_MINUTES }, (_, minute) =>
      minuteKey(SIMULATED_START + minute * 60_000),
    );
    const minutes = await runner.getMany(keys);
    let countedViews = 0;
    keys.forEach((key, index) => {
      const counters = minutes[index];
      if (!counters) return;
      countedViews += counters.views;
      const [topPath, topViews] = Object.entries(counters.paths).sort(
        (left, right) => right[1] - left[1] || left[0].localeCompare(right[0]),
      )[0] ?? ["-", 0];
      print(
        `   ${key.slice("minute:".length)}  ${String(counters.views).padStart(4)} views  ${String(Object.keys(counters.visitors).length).padStart(3)} visitors  top ${topPath} (${topViews})`,
      );
    });
    const status = await runner.status();
    const lag = status.partitions.reduce((sum, partition) => sum + partition.lag, 0);
    print(
      `   total ${countedViews} views counted of ${appended} appended; projection lag ${lag}, ${status.deadLetters} dead letters`,
    );
    print("");
    print(
      `Done: ${appended} views appended, visible after p50 ${p50.toFixed(1)} ms / p99 ${p99.toFixed(1)} ms.`,
    );
    return {
      eventsAppended: appended,
      countedViews,
      minutes: minutes.filter(Boolean).length,
      latencyP50Ms: p50,
      latencyP99Ms: p99,
      projectionLag: lag,
    };
  } finally {
    await runner.stop();
    await backend.close();
  }
}

if (isDirectRun(import.meta.url)) {
  main({ redisUrl: process.env.REDIS_URL, quick: process.argv.includes("--quick") }).catch(
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
