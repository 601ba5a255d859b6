import { parseArgs } from "node:util";
import { getRedisEventStore, silentLogger } from "@streamstore/core";
import { type ProjectionRunner, startProjection } from "@streamstore/projections";
import { Redis } from "ioredis";
import { isDirectRun } from "../../shared/backend.js";
import { pageViewEvents, viewsPerMinute, viewsPerPath } from "./pageViews.js";

/**
 * Options of {@link runLive}.
 *
 * @example
 * await runLive({ redisUrl: "redis://127.0.0.1:6379", prefix: "analytics-live", rate: 20, signal });
 */
export interface LiveOptions {
  /** A real Redis: the point of the live mode is to be watched by `streamstore dashboard`. */
  redisUrl: string;
  /** The key prefix; its keys are kept when the run stops, so a later run carries on. */
  prefix: string;
  /** Page views appended per second; 0 appends none. */
  rate: number;
  /** Run the two projections in this process. Default true. */
  projections?: boolean;
  /** Stop after this long, ms. Default: only when `signal` aborts. */
  durationMs?: number;
  signal?: AbortSignal;
  /** Where progress lines go. Default: stdout. */
  print?: (line: string) => void;
}

/** What a live run did. */
export interface LiveSummary {
  appended: number;
}

const PATHS = ["/", "/pricing", "/docs", "/blog", "/signup"] as const;
// Two partitions, so the dashboard shows a consumer group per partition and projection.
const PARTITIONS = 2;
const TICK_MS = 100;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });

/**
 * Site traffic that never ends: page views appended at `rate` per second while the two
 * projections (`views-per-minute`, `views-per-path`) tail them, until `signal` aborts. Run it with
 * `--no-projections` to append while no projection runs (their lag grows), then without it to
 * watch them catch up.
 *
 * @example
 * const controller = new AbortController();
 * process.once("SIGINT", () => controller.abort());
 * await runLive({ redisUrl: process.env.REDIS_URL!, prefix: "analytics-live", rate: 20, signal: controller.signal });
 */
export async function runLive(options: LiveOptions): Promise<LiveSummary> {
  const print = options.print ?? ((line: string) => console.log(line));
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted) stop.abort();
  const timer =
    options.durationMs === undefined ? undefined : setTimeout(onAbort, options.durationMs);
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 3 });
  const store = getRedisEventStore({
    redis,
    events: pageViewEvents,
    prefix: options.prefix,
    partitions: PARTITIONS,
  });
  const runners: ProjectionRunner<unknown>[] = [];
  let appended = 0;
  try {
    if (options.projections ?? true) {
      // One call each: an array of both would widen their state types into a union.
      runners.push(
        startProjection(viewsPerMinute, { redis, store, logger: silentLogger }),
        startProjection(viewsPerPath, { redis, store, logger: silentLogger }),
      );
      await Promise.all(
        runners.map((runner) => runner.waitUntilCaughtUp(undefined, { timeoutMs: 30_000 })),
      );
    }
    print(
      `live: prefix "${options.prefix}", ${options.rate} page views/s, projections ${runners.length > 0 ? "views-per-minute and views-per-path running" : "not running"}`,
    );
    let random = 7;
    const next = (modulo: number) => {
      random = (random * 1103515245 + 12345) % 2147483648;
      return Math.floor((random / 2147483648) * modulo);
    };
    // Appends are paced against the clock, so a slow append is made up for on the next tick.
    const started = performance.now();
    while (!stop.signal.aborted) {
      const due = Math.min(
        500,
        Math.floor(((performance.now() - started) / 1000) * options.rate) - appended,
      );
      if (due > 0) {
        await Promise.all(
          Array.from({ length: due }, () => {
            const visitor = `v${next(200)}`;
            return store.append(`session-${visitor}`, [
              {
                type: "PageViewed",
                data: { path: PATHS[next(PATHS.length)] ?? "/", visitor, at: Date.now() },
              },
            ]);
          }),
        );
        appended += due;
      }
      await sleep(TICK_MS, stop.signal);
    }
    // Traffic stops first and the projections apply what was appended, so a stopped run leaves
    // no lag behind: lag seen later is the next run's doing.
    await Promise.all(
      runners.map((runner) =>
        runner.waitUntilCaughtUp(undefined, { timeoutMs: 10_000 }).catch(() => undefined),
      ),
    );
    print(
      `live: stopped after ${appended} page views; the keys under "${options.prefix}:" are kept (delete them with: redis-cli --scan --pattern '${options.prefix}:*' | xargs redis-cli unlink)`,
    );
    return { appended };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
    await Promise.all(runners.map((runner) => runner.stop()));
    await redis.quit();
  }
}

if (isDirectRun(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      prefix: { type: "string", default: "analytics-live" },
      rate: { type: "string", default: "20" },
      "no-projections": { type: "boolean", default: false },
      duration: { type: "string" },
    },
  });
  const redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    console.error(
      "[streamstore] the live mode needs a real Redis for the dashboard to watch: set REDIS_URL (e.g. REDIS_URL=redis://127.0.0.1:6379).",
    );
    process.exit(2);
  }
  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort());
  process.once("SIGTERM", () => controller.abort());
  runLive({
    redisUrl,
    prefix: values.prefix,
    rate: Number(values.rate),
    projections: !values["no-projections"],
    durationMs: values.duration === undefined ? undefined : Number(values.duration) * 1000,
    signal: controller.signal,
  }).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
