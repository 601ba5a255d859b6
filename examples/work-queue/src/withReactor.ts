import { type EventStore, isConcurrencyError, silentLogger } from "@streamstore/core";
import { defineReactor, type ReactorRunner, startReactor } from "@streamstore/projections";
import type { Redis } from "ioredis";
import { jobEvents } from "./jobs.js";
import { makeThumbnail } from "./worker.js";

/** What the reactor part of the example did. */
export interface ReactorQueueReport {
  jobs: number;
  completed: number;
  /** Jobs finished on a later attempt by another worker than the one that had them. */
  takenOver: number;
  deadLetters: number;
  pending: number;
}

const REACTOR = "thumbnails";
const MAX_DELIVERIES = 3;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function waitForAbort(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

async function groupInfo(redis: Redis, key: string, group: string) {
  for (const reply of (await redis.xinfo("GROUPS", key)) as unknown[][]) {
    const fields = new Map<unknown, unknown>();
    for (let index = 0; index + 1 < reply.length; index += 2) {
      fields.set(reply[index], reply[index + 1]);
    }
    if (fields.get("name") === group) {
      return { pending: Number(fields.get("pending")), lag: Number(fields.get("lag") ?? 0) };
    }
  }
  return undefined;
}

/**
 * The same queue with the toolkit's reactor (`defineReactor` + `startReactor`): the consumer
 * group, XREADGROUP, XACK, attempt counting, XAUTOCLAIM of a stopped worker's entries and the
 * dead-letter stream are the reactor's; the handler only does the work. Three workers run in this
 * process, as three processes would: each closes over its own name.
 *
 * @example
 * await runQueueWithReactor({ redis, store, print, firstJob: 13, jobs: 8 });
 */
export async function runQueueWithReactor(options: {
  redis: Redis;
  store: EventStore<typeof jobEvents>;
  print: (line: string) => void;
  firstJob: number;
  jobs: number;
}): Promise<ReactorQueueReport> {
  const { redis, store, print, firstJob, jobs } = options;
  const poisonJob = firstJob + 2;
  // Whichever worker takes the first job is shut down while working on it (chosen by job, not by
  // worker: which worker gets which job is the group's choice).
  const stoppedJob = `job-${firstJob}`;
  const queueKey = store.keys.log("job", 0);
  const runners = new Map<string, ReactorRunner>();
  const handledBy = new Map<string, string>();
  let completed = 0;
  let takenOver = 0;
  let shutDown = false;

  const thumbnails = (worker: string) =>
    defineReactor(jobEvents, {
      name: REACTOR,
      source: ["job"],
      handlers: {
        JobSubmitted: async (event, context) => {
          const job = event.streamName;
          const previous = handledBy.get(job);
          handledBy.set(job, worker);
          print(
            `   ${worker} handles ${job} (${event.data.image}), attempt ${context.attempt}${previous && previous !== worker ? `, taken over from ${previous}` : ""}`,
          );
          if (job === stoppedJob && !shutDown) {
            shutDown = true;
            print(
              `   ${worker} is shut down while working on ${job}: the handler gives up on its abort signal, the entry stays pending`,
            );
            // Not awaited: stop() waits for in-flight handlers, this one included.
            void runners.get(worker)?.stop();
            await waitForAbort(context.signal);
            throw new Error("shut down mid-job");
          }
          let thumbnailKb: number;
          try {
            thumbnailKb = await makeThumbnail(event.data.image, event.data.sizeKb);
          } catch (error) {
            const message = (error as Error).message;
            if (context.attempt < MAX_DELIVERIES) {
              print(`   ${worker}: ${job} failed (${message}), the reactor retries it`);
            } else {
              print(
                `   ${worker}: ${job} failed (${message}) on attempt ${MAX_DELIVERIES} of ${MAX_DELIVERIES}: the reactor dead-letters it`,
              );
              await store
                .append(
                  `jobresult-${event.streamName.slice("job-".length)}`,
                  [
                    {
                      type: "JobDeadLettered",
                      data: { worker, error: message, deliveries: context.attempt },
                    },
                  ],
                  { expectedVersion: "no_stream" },
                )
                .catch((appendError: unknown) => {
                  if (!isConcurrencyError(appendError)) throw appendError;
                });
            }
            throw error;
          }
          try {
            // Delivery is at least once: the outcome's expected version makes the effect once.
            await store.append(
              `jobresult-${event.streamName.slice("job-".length)}`,
              [{ type: "JobCompleted", data: { worker, thumbnailKb } }],
              { expectedVersion: "no_stream" },
            );
          } catch (error) {
            if (!isConcurrencyError(error)) throw error;
            print(`   ${worker}: ${job} already has an outcome (a redelivery), nothing done twice`);
            return;
          }
          completed++;
          if (previous && previous !== worker) takenOver++;
          print(`   ${worker} completed ${job}`);
        },
      },
    });

  for (const name of ["reactor-1", "reactor-2", "reactor-3"]) {
    runners.set(
      name,
      startReactor(thumbnails(name), {
        redis,
        store,
        workerId: name,
        logger: silentLogger,
        startFrom: "end",
        // One entry per read, so the three workers share the jobs instead of one taking a batch.
        batchSize: 1,
        blockMs: 100,
        maxDeliveries: MAX_DELIVERIES,
        retryBackoffMs: 50,
        claimIntervalMs: 100,
        claimMinIdleMs: 250,
      }),
    );
    // Let each one create the group (the first one) and reach its first blocking read: its state
    // turns "running" just before it.
    for (let attempt = 0; attempt < 200 && runners.get(name)?.state !== "running"; attempt++) {
      await sleep(10);
    }
    await sleep(20);
  }
  print(`   reactor "${REACTOR}": 3 workers on consumer group "rx:${REACTOR}" of the job log`);
  for (let number = firstJob; number < firstJob + jobs; number++) {
    const image = number === poisonJob ? "corrupt-2.png" : `photo-${number}.jpg`;
    await store.append(
      `job-${number}`,
      [{ type: "JobSubmitted", data: { image, sizeKb: 200 + ((number * 370) % 1000) } }],
      { expectedVersion: "no_stream" },
    );
    await sleep(15);
  }
  const deadline = performance.now() + 20_000;
  let info = await groupInfo(redis, queueKey, `rx:${REACTOR}`);
  while (performance.now() < deadline && (info?.pending !== 0 || info.lag !== 0)) {
    await sleep(25);
    info = await groupInfo(redis, queueKey, `rx:${REACTOR}`);
  }
  await Promise.all([...runners.values()].map((runner) => runner.stop()));
  const letters = (await runners.get("reactor-1")?.deadLetters.list()) ?? [];
  print(
    `   drained: ${info?.pending} pending, lag ${info?.lag}; ${completed} completed, ${takenOver} taken over from the stopped worker`,
  );
  print(`   the reactor's dead-letter stream (deadLetters.list()): ${letters.length} entry`);
  for (const letter of letters) {
    const aggregate = (JSON.parse(letter.entry) as { a?: string }).a;
    print(
      `     job-${aggregate}: reason ${letter.reason}, ${letter.attempts} attempts, "${letter.error}"`,
    );
  }
  return {
    jobs,
    completed,
    takenOver,
    deadLetters: letters.length,
    pending: info?.pending ?? -1,
  };
}
