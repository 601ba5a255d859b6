import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { getRedisEventStore, silentLogger } from "@streamstore/core";
import { createProjectionReader, getProjectionStatus } from "@streamstore/projections";
import { startRedisServer } from "@streamstore/testing";
import { Redis } from "ioredis";
import {
  type AccountState,
  accountsProjection,
  bankEvents,
  readLogs,
  referenceFold,
} from "../../packages/projections/test/support/fixtures.js";

const TSX = fileURLToPath(new URL("../../node_modules/.bin/tsx", import.meta.url));
const WORKER = fileURLToPath(new URL("./soakWorker.ts", import.meta.url));

/** Options of {@link runSoak}. */
export interface SoakOptions {
  /** How long the producer appends, ms. */
  durationMs: number;
  /** A worker process is SIGKILLed (and restarted) this often, ms. */
  killEveryMs: number;
  /** Samples (RSS, used_memory, lag) are taken this often, ms. */
  sampleEveryMs: number;
  /** Events appended per second. */
  rate: number;
  /** Source partitions of the category. */
  partitions: number;
  /** Aggregates the events are spread over. */
  accounts: number;
  /** Progress lines go here (default: nowhere). */
  log?: (line: string) => void;
}

/** One sample of the soak run. */
export interface SoakSample {
  /** Seconds since the start. */
  t: number;
  /** RSS of each worker slot, MB (null while a slot's new process has not reported yet). */
  rssMb: (number | null)[];
  /** Redis INFO used_memory, MB. */
  usedMemoryMb: number;
  /** Sum of the partitions' lag (entries added − applied). */
  lag: number;
  /** Events acknowledged so far. */
  appended: number;
}

/** What {@link runSoak} measured. */
export interface SoakResult {
  options: Omit<SoakOptions, "log">;
  samples: SoakSample[];
  /**
   * Seconds since the start at which a worker was killed, which slot, the peak lag after it
   * (polled every 250 ms, so short spikes the samples miss are caught) and the time from the kill
   * until the lag was back under 100 entries for good, ms (0: it never reached 100).
   */
  kills: { t: number; slot: number; peakLag: number; drainedMs: number | null }[];
  events: number;
  /** Documents differing from the reference fold of the logs at the end. */
  mismatches: number;
  /** Per-aggregate version sequence violations seen by the projection. */
  violations: number;
  /** Time from the producer's last append to the read model being caught up, ms. */
  finalCatchUpMs: number;
  deadLetters: number;
}

interface Worker {
  child: ChildProcess;
  rss: number | null;
}

/**
 * A long run of the projection runner in 3 worker processes under steady appends, one worker
 * SIGKILLed every `killEveryMs`: worker RSS, Redis memory and lag are sampled, and the read model
 * must equal the reference fold of the logs at the end. Slot 0 is never killed, so one worker
 * lives the whole run (a leak would show in its RSS); slots 1 and 2 are killed in turn.
 *
 * @example
 * const result = await runSoak({ durationMs: 45_000, killEveryMs: 30_000, sampleEveryMs: 1_000, rate: 200, partitions: 4, accounts: 500 });
 */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const log = options.log ?? (() => {});
  const server = await startRedisServer();
  const prefix = `soak${Date.now().toString(36)}`;
  const redis = new Redis(server.url, { maxRetriesPerRequest: null });
  const projection = accountsProjection();
  const store = getRedisEventStore({
    redis,
    events: bankEvents,
    prefix,
    partitions: options.partitions,
    serverCheck: "off",
    logger: silentLogger,
  });
  const spawnWorker = (): Worker => {
    const child = spawn(TSX, ["--conditions=@streamstore/source", WORKER], {
      env: { ...process.env, REDIS_URL: server.url, STREAMSTORE_PREFIX: prefix },
      stdio: ["ignore", "pipe", "inherit"],
      // tsx runs the worker in a child node process: signal the whole group, or a SIGKILL would
      // only kill the tsx wrapper and orphan the worker.
      detached: true,
    });
    const worker: Worker = { child, rss: null };
    let rest = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      const lines = (rest + chunk.toString()).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines)
        if (line.startsWith("rss ")) worker.rss = Number(line.slice(4)) / 2 ** 20;
    });
    return worker;
  };
  const signal = (worker: Worker, name: NodeJS.Signals) => {
    try {
      process.kill(-(worker.child.pid as number), name);
    } catch {
      // Already gone.
    }
  };
  const workers = [spawnWorker(), spawnWorker(), spawnWorker()];
  const samples: SoakSample[] = [];
  const kills: SoakResult["kills"] = [];
  let appended = 0;
  let producing = true;
  let random = 20_260_101;
  const next = () => {
    random = (random * 1_103_515_245 + 12_345) & 0x7fffffff;
    return random;
  };
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  const lagNow = async () => {
    const status = await getProjectionStatus(projection, { redis, prefix });
    return { status, lag: status.partitions.reduce((sum, p) => sum + p.lag, 0) };
  };
  const sample = async () => {
    const info = await redis.info("memory");
    const usedMemory = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
    const { lag } = await lagNow();
    const entry: SoakSample = {
      t: Math.round(seconds() * 10) / 10,
      rssMb: workers.map((worker) =>
        worker.rss === null ? null : Math.round(worker.rss * 10) / 10,
      ),
      usedMemoryMb: Math.round((usedMemory / 2 ** 20) * 100) / 100,
      lag,
      appended,
    };
    samples.push(entry);
    log(
      `[soak] t=${entry.t}s appended=${appended} lag=${lag} used_memory=${entry.usedMemoryMb}MB rss=${entry.rssMb.join("/")}MB`,
    );
  };
  // After a kill, the dead worker's partitions wait for its lease to expire: poll the lag closely
  // until it has drained (or the next kill), catching the peak that 5 s samples would miss.
  const watchLag = async (kill: SoakResult["kills"][number], killedAt: number) => {
    // The partitions move once the lease (2 s) and the member entry (1.5 s) expired: watch 5 s.
    let drainedAt = killedAt;
    while (producing && performance.now() - killedAt < options.killEveryMs) {
      const { lag } = await lagNow().catch(() => ({ lag: 0 }));
      kill.peakLag = Math.max(kill.peakLag, lag);
      if (lag >= 100) drainedAt = Number.POSITIVE_INFINITY;
      else if (drainedAt === Number.POSITIVE_INFINITY) drainedAt = performance.now();
      if (performance.now() - killedAt > 5_000 && lag < 100) {
        kill.drainedMs = Math.round(drainedAt - killedAt);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };
  try {
    const producer = (async () => {
      while (producing) {
        const due = seconds() * options.rate;
        if (appended >= due) {
          await new Promise((resolve) => setTimeout(resolve, 10));
          continue;
        }
        const batch = Array.from({ length: 1 + (next() % 3) }, () =>
          next() % 2 === 0
            ? { type: "Deposited" as const, data: { amount: next() % 100 } }
            : { type: "Withdrawn" as const, data: { amount: next() % 50 } },
        );
        await store.append(`account-${next() % options.accounts}`, batch);
        appended += batch.length;
      }
    })();
    let nextKill = options.killEveryMs;
    let nextSample = 0;
    let killed = 0;
    while (performance.now() - started < options.durationMs) {
      const elapsed = performance.now() - started;
      if (elapsed >= nextSample) {
        await sample();
        nextSample += options.sampleEveryMs;
      }
      if (elapsed >= nextKill) {
        const slot = 1 + (killed % 2);
        signal(workers[slot] as Worker, "SIGKILL");
        workers[slot] = spawnWorker();
        const kill = { t: Math.round(seconds() * 10) / 10, slot, peakLag: 0, drainedMs: null };
        kills.push(kill);
        void watchLag(kill, performance.now());
        log(`[soak] t=${seconds().toFixed(1)}s killed worker slot ${slot}`);
        killed++;
        nextKill += options.killEveryMs;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    producing = false;
    await producer;
    const stoppedAt = performance.now();
    const deadline = stoppedAt + 60_000;
    for (;;) {
      const { status } = await lagNow();
      if (
        status.partitions.length === options.partitions &&
        status.partitions.every((p) => p.lag === 0 && p.state === "live")
      )
        break;
      if (performance.now() > deadline)
        throw new Error(`[streamstore] soak: not caught up: ${JSON.stringify(status)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const finalCatchUpMs = Math.round(performance.now() - stoppedAt);
    await sample();
    const entries = await readLogs(
      redis,
      Array.from({ length: options.partitions }, (_, p) => store.keys.log("account", p)),
    );
    const expected = referenceFold(entries);
    const keys = [...expected.keys()];
    const actual = (await createProjectionReader(projection, { redis, prefix }).getMany(keys)) as (
      | AccountState
      | undefined
    )[];
    let mismatches = 0;
    let violations = 0;
    keys.forEach((key, index) => {
      if (JSON.stringify(actual[index]) !== JSON.stringify(expected.get(key))) mismatches++;
      violations += actual[index]?.violations ?? 0;
    });
    const { status } = await lagNow();
    const { log: _log, ...recorded } = options;
    return {
      options: recorded,
      samples,
      kills,
      events: entries.length,
      mismatches: mismatches + Math.abs(entries.length - appended),
      violations,
      finalCatchUpMs,
      deadLetters: status.deadLetters,
    };
  } finally {
    producing = false;
    for (const worker of workers) signal(worker, "SIGKILL");
    redis.disconnect();
    await server.stop();
  }
}
