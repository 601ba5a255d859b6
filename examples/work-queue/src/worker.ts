import {
  decodeEntry,
  type EventOf,
  type EventStore,
  isConcurrencyError,
  type RawStreamEntry,
} from "@streamstore/core";
import type { Redis } from "ioredis";
import { jobEvents } from "./jobs.js";

/** The queue the workers share: one consumer group on the job category log. */
export interface WorkQueue {
  /** For non-blocking commands; each worker opens its own connection for blocking reads. */
  redis: Redis;
  store: EventStore<typeof jobEvents>;
  /** The job category log (partition 0): the queue. */
  queueKey: string;
  group: string;
  /** Where poison jobs go, with their error and delivery count. */
  deadLetterKey: string;
  /** An entry pending this long belongs to a dead or stuck worker and may be claimed. */
  claimMinIdleMs: number;
  /** Deliveries after which a failing job is dead-lettered. */
  maxDeliveries: number;
  print: (line: string) => void;
  signal: AbortSignal;
}

/** What one worker did. */
export interface WorkerReport {
  name: string;
  completed: number;
  claimed: number;
  failures: number;
  deadLettered: number;
  killed: boolean;
}

/** A job that fails every time it is tried. */
class CorruptImageError extends Error {
  override readonly name = "CorruptImageError";
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The work itself: "resizing" takes time in proportion to the image, and corrupt images fail. */
export async function makeThumbnail(image: string, sizeKb: number): Promise<number> {
  await sleep(20 + sizeKb / 25);
  if (image.startsWith("corrupt")) throw new CorruptImageError("cannot decode image");
  return Math.max(1, Math.round(sizeKb / 40));
}

/**
 * One competing consumer. Each turn it first claims an entry that another worker left pending for
 * longer than `claimMinIdleMs` (XAUTOCLAIM: the guide's XPENDING + XCLAIM in one call), else reads
 * one new entry (XREADGROUP ... BLOCK). A job is acked after its outcome is recorded; a failing
 * job stays pending until it is retried, and after `maxDeliveries` goes to the dead-letter stream.
 *
 * @example
 * const report = await runWorker(queue, "worker-1");
 */
export async function runWorker(
  queue: WorkQueue,
  name: string,
  options: {
    crashOnFirstJob?: boolean;
    /** Called once, just before the worker's first blocking read. */
    onReady?: () => void;
  } = {},
): Promise<WorkerReport> {
  const { redis, store, queueKey, group, print } = queue;
  const report: WorkerReport = {
    name,
    completed: 0,
    claimed: 0,
    failures: 0,
    deadLettered: 0,
    killed: false,
  };
  // A blocking XREADGROUP holds its connection: each worker gets its own.
  const connection = redis.duplicate();
  try {
    while (!queue.signal.aborted) {
      const [, claimedEntries] = (await connection.xautoclaim(
        queueKey,
        group,
        name,
        queue.claimMinIdleMs,
        "0-0",
        "COUNT",
        1,
      )) as [string, RawStreamEntry[], string[]];
      let entry = claimedEntries[0];
      const claimed = entry !== undefined;
      if (!entry) {
        options.onReady?.();
        const reply = (await connection.xreadgroup(
          "GROUP",
          group,
          name,
          "COUNT",
          1,
          "BLOCK",
          100,
          "STREAMS",
          queueKey,
          ">",
        )) as [string, RawStreamEntry[]][] | null;
        entry = reply?.[0]?.[1][0];
      }
      if (!entry) continue;
      const [entryId, fields] = entry;
      if (fields === null) {
        // Deleted from the stream while pending: nothing left to do.
        await redis.xack(queueKey, group, entryId);
        continue;
      }
      const [[, , , deliveries] = ["", "", 0, 1]] = (await redis.xpending(
        queueKey,
        group,
        entryId,
        entryId,
        1,
      )) as [string, string, number, number][];
      const event = decodeEntry<EventOf<typeof jobEvents>>(jobEvents, entry, {
        streamName: "job",
        category: "job",
        partition: 0,
        kind: "log",
      });
      if (event.type !== "JobSubmitted") {
        await redis.xack(queueKey, group, entryId);
        continue;
      }
      const job = event.streamName;
      const resultStream = `jobresult-${job.slice("job-".length)}`;
      if (claimed) {
        report.claimed++;
        print(
          `   ${name} claimed ${job} (pending over ${queue.claimMinIdleMs} ms) with XAUTOCLAIM, delivery ${deliveries}`,
        );
      } else {
        print(`   ${name} took ${job} (${event.data.image}, ${event.data.sizeKb} KB)`);
      }
      if (options.crashOnFirstJob) {
        report.killed = true;
        print(
          `   ${name} is killed while working on ${job}: no ack, the entry stays pending under ${name}`,
        );
        connection.disconnect();
        return report;
      }
      const started = performance.now();
      try {
        const thumbnailKb = await makeThumbnail(event.data.image, event.data.sizeKb);
        try {
          await store.append(
            resultStream,
            [{ type: "JobCompleted", data: { worker: name, thumbnailKb } }],
            { expectedVersion: "no_stream" },
          );
        } catch (error) {
          // Another worker recorded this job's outcome first: ack, and do not count it twice.
          if (!isConcurrencyError(error)) throw error;
          print(`   ${name}: ${job} already has an outcome, acking the duplicate`);
          await redis.xack(queueKey, group, entryId);
          continue;
        }
        await redis.xack(queueKey, group, entryId);
        report.completed++;
        print(
          `   ${name} completed ${job} in ${Math.round(performance.now() - started)} ms, acked`,
        );
      } catch (error) {
        report.failures++;
        const message = (error as Error).message;
        if (deliveries < queue.maxDeliveries) {
          print(
            `   ${name}: ${job} failed (${message}), delivery ${deliveries} of ${queue.maxDeliveries}: left pending for a retry`,
          );
          continue;
        }
        await store
          .append(
            resultStream,
            [{ type: "JobDeadLettered", data: { worker: name, error: message, deliveries } }],
            { expectedVersion: "no_stream" },
          )
          .catch((appendError: unknown) => {
            if (!isConcurrencyError(appendError)) throw appendError;
          });
        // The dead letter and the ack in one MULTI: never acked without a dead letter.
        await redis
          .multi()
          .xadd(
            queue.deadLetterKey,
            "*",
            "job",
            job,
            "entry",
            entryId,
            "error",
            message,
            "deliveries",
            String(deliveries),
            "worker",
            name,
          )
          .xack(queueKey, group, entryId)
          .exec();
        report.deadLettered++;
        print(
          `   ${name}: ${job} failed (${message}), delivery ${deliveries} of ${queue.maxDeliveries}: moved to the dead-letter stream, acked`,
        );
      }
    }
    return report;
  } finally {
    if (!report.killed) await connection.quit();
  }
}
