import { getRedisEventStore, silentLogger } from "@streamstore/core";
import { startProjection } from "@streamstore/projections";
import type { Redis } from "ioredis";
import { isDirectRun, openBackend } from "../../shared/backend.js";
import { type JobCard, jobBoard, jobEvents } from "./jobs.js";
import { runQueueWithReactor } from "./withReactor.js";
import { runWorker, type WorkQueue } from "./worker.js";

/** Options of {@link main}. */
export interface MainOptions {
  /** A real Redis to run on; the in-memory fake when absent. */
  redisUrl?: string | undefined;
  /** Where the story goes, one line at a time. Default: stdout. */
  print?: (line: string) => void;
  /** A shorter run (fewer jobs), for the tour's `--quick`. */
  quick?: boolean;
}

/** The figures of one run, for the tour and the tests. */
export interface WorkQueueSummary {
  jobs: number;
  completed: number;
  claimedFromOthers: number;
  deadLettered: number;
  jobsPerWorker: Record<string, number>;
  pendingAtEnd: number;
  boardDone: number;
  boardDeadLettered: number;
  /** The same queue run by the toolkit's reactor. */
  reactor: {
    jobs: number;
    completed: number;
    takenOver: number;
    deadLetters: number;
    pending: number;
  };
}

const POISON_JOB = 4;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function record(reply: unknown): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  if (Array.isArray(reply)) {
    for (let index = 0; index + 1 < reply.length; index += 2) {
      fields[String(reply[index])] = reply[index + 1];
    }
  }
  return fields;
}

async function groupInfo(redis: Redis, key: string, group: string) {
  const groups = ((await redis.xinfo("GROUPS", key)) as unknown[]).map(record);
  const found = groups.find((fields) => fields.name === group) ?? {};
  return { pending: Number(found.pending ?? 0), lag: Number(found.lag ?? 0) };
}

/**
 * A thumbnail queue: a producer submits jobs, three workers compete for them on one consumer
 * group, one worker is killed mid-job and its job is claimed by another, and a poison job ends in
 * the dead-letter stream after three deliveries. A job-board projection follows along on its own
 * consumer group of the same log.
 *
 * @example
 * await main({ redisUrl: process.env.REDIS_URL });
 */
export async function main(options: MainOptions = {}): Promise<WorkQueueSummary> {
  const print = options.print ?? ((line: string) => console.log(line));
  const jobs = options.quick ? 8 : 12;
  const reactorJobs = options.quick ? 6 : 8;
  const backend = await openBackend("queue", options.redisUrl);
  const { redis, prefix } = backend;
  print(`Running on ${backend.name} (key prefix "${prefix}").`);
  const store = getRedisEventStore({
    redis,
    events: jobEvents,
    prefix,
    serverCheck: backend.serverCheck,
  });
  const controller = new AbortController();
  const queue: WorkQueue = {
    redis,
    store,
    queueKey: store.keys.log("job", 0),
    group: "workers",
    deadLetterKey: `${prefix}:jobs:dead-letters`,
    claimMinIdleMs: 250,
    maxDeliveries: 3,
    print,
    signal: controller.signal,
  };
  const board = startProjection(jobBoard, { redis, store, logger: silentLogger });
  const workers: Promise<Awaited<ReturnType<typeof runWorker>>>[] = [];
  try {
    print("");
    print('1. Three workers join consumer group "workers" on the job log');
    await redis.xgroup("CREATE", queue.queueKey, queue.group, "$", "MKSTREAM");
    for (const name of ["worker-1", "worker-2", "worker-3"]) {
      let onReady = () => {};
      const ready = new Promise<void>((resolve) => {
        onReady = resolve;
      });
      const worker = runWorker(queue, name, { crashOnFirstJob: name === "worker-2", onReady });
      workers.push(worker);
      // Join one at a time, so each one's first XREADGROUP BLOCK is queued in Redis before the next
      // (Redis hands new entries to blocked readers first come, first served). A blocked read does
      // not create its consumer in Redis 7.0, so XINFO CONSUMERS cannot tell: the worker says when
      // it sends its first read, and a short pause lets Redis queue it.
      await Promise.race([ready, worker]);
      await sleep(20);
    }
    print("   worker-1, worker-2 and worker-3 are waiting (XREADGROUP ... BLOCK 100)");

    print("");
    print(`2. The producer submits ${jobs} jobs; job-${POISON_JOB} is a corrupt image`);
    for (let number = 1; number <= jobs; number++) {
      const image = number === POISON_JOB ? "corrupt.png" : `photo-${number}.jpg`;
      await store.append(
        `job-${number}`,
        [{ type: "JobSubmitted", data: { image, sizeKb: 200 + ((number * 370) % 1000) } }],
        { expectedVersion: "no_stream" },
      );
      await sleep(15);
    }
    const deadline = performance.now() + 20_000;
    for (;;) {
      const { pending, lag } = await groupInfo(redis, queue.queueKey, queue.group);
      if ((pending === 0 && lag === 0) || performance.now() > deadline) break;
      await sleep(25);
    }
    controller.abort();
    const reports = await Promise.all(workers.splice(0));

    print("");
    print("3. The queue is drained");
    const { pending, lag } = await groupInfo(redis, queue.queueKey, queue.group);
    print(`   group "workers": ${pending} pending, lag ${lag} (XINFO GROUPS)`);
    const jobsPerWorker: Record<string, number> = {};
    for (const report of reports) {
      jobsPerWorker[report.name] = report.completed + report.deadLettered;
      print(
        `   ${report.name}: ${report.completed} completed, ${report.claimed} claimed from others, ${report.failures} failures, ${report.deadLettered} dead-lettered${report.killed ? ", killed mid-job" : ""}`,
      );
    }
    const removed = await redis.xgroup("DELCONSUMER", queue.queueKey, queue.group, "worker-2");
    print(`   worker-2 removed from the group (XGROUP DELCONSUMER): it held ${removed} entries`);
    const deadLetters = await redis.xrange(queue.deadLetterKey, "-", "+");
    print(`   dead-letter stream: ${deadLetters.length} entry`);
    for (const [, fields] of deadLetters) {
      const letter = record(fields);
      print(
        `     ${letter.job}: "${letter.error}" after ${letter.deliveries} deliveries, last tried by ${letter.worker}`,
      );
    }

    await redis.xgroup("DESTROY", queue.queueKey, queue.group);
    print(
      '   group "workers" removed (XGROUP DESTROY): the next part uses the reactor\'s own group',
    );

    print("");
    print(
      `4. The same with the toolkit: a reactor (defineReactor + startReactor), ${reactorJobs} more jobs, job-${jobs + 3} is corrupt`,
    );
    const reactor = await runQueueWithReactor({
      redis,
      store,
      print,
      firstJob: jobs + 1,
      jobs: reactorJobs,
    });

    print("");
    print("5. The job board projection (its own group on the same log: it sees every job)");
    await board.waitUntilCaughtUp(undefined, { timeoutMs: 10_000 });
    const cards = (await board.getMany(
      Array.from({ length: jobs + reactorJobs }, (_, index) => `job-${index + 1}`),
    )) as (JobCard | undefined)[];
    const boardDone = cards.filter((card) => card?.outcome === "done").length;
    const boardDeadLettered = cards.filter((card) => card?.outcome === "dead-lettered").length;
    const status = await board.status();
    print(
      `   ${cards.filter(Boolean).length} cards: ${boardDone} done, ${boardDeadLettered} dead-lettered, ${cards.filter((card) => card?.outcome === "waiting").length} waiting; lag ${status.partitions.reduce((sum, partition) => sum + partition.lag, 0)}, projection dead letters ${status.deadLetters}`,
    );
    const completed = reports.reduce((sum, report) => sum + report.completed, 0);
    const claimed = reports.reduce((sum, report) => sum + report.claimed, 0);
    print("");
    print(
      `Done: ${jobs} jobs by hand-written workers (${completed} completed, ${claimed} claimed, ${deadLetters.length} dead-lettered), ${reactorJobs} by the reactor (${reactor.completed} completed, ${reactor.takenOver} taken over, ${reactor.deadLetters} dead-lettered), ${pending + reactor.pending} left pending.`,
    );
    return {
      jobs,
      completed,
      claimedFromOthers: claimed,
      deadLettered: deadLetters.length,
      jobsPerWorker,
      pendingAtEnd: pending,
      boardDone,
      boardDeadLettered,
      reactor,
    };
  } finally {
    controller.abort();
    await Promise.allSettled(workers);
    await board.stop();
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
