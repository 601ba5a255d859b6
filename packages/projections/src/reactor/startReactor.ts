import {
  createRedisKeyStore,
  type EventCatalog,
  InvalidArgumentError,
  MAX_BATCH_SIZE,
  silentLogger,
} from "@streamstore/core";
import {
  assertRedisClient,
  describeRedisFailure,
  KeyRing,
  keyLayout,
  readPartitionCount,
  sleep,
} from "@streamstore/core/internal";
import { FailureStreak } from "../consumer/backoff.js";
import { ConsumerGroupReader } from "../consumer/ConsumerGroupReader.js";
import { createReactorDeadLetters } from "../deadLetters/createReactorDeadLetters.js";
import { reactorKeys } from "../keys/reactorKeys.js";
import { assertPrefixAgrees, defaultWorkerId } from "../runner/resolveRunnerOptions.js";
import {
  createProjectionsTelemetry,
  telemetryOptionsFor,
} from "../telemetry/projectionsTelemetry.js";
import { reactorInstrumentation } from "../telemetry/reactorInstrumentation.js";
import type { Reactor } from "./defineReactor.js";
import {
  DEFAULT_REACTOR_OPTIONS,
  type ReactorOptions,
  type ReactorRunner,
  type ReactorState,
} from "./ReactorOptions.js";
import { type ReactorSource, reactorEntryHandler } from "./reactorEntryHandler.js";

/** How a source partition's reader is doing, for the worker's state. */
type Health = "ok" | "reconnecting" | "failing";

/** The longest retry delay after Redis errors (or reconnectDelayMs, if longer), ms. */
const RETRY_CAP_MS = 5000;

/**
 * Starts a reactor worker: competing consumers in one consumer group per source partition log.
 * Guarantee: **at least once** — an event is acked (XACK) only after its handler succeeded (or it
 * was dead-lettered after `maxDeliveries` attempts, counted in Redis across crashes); a worker's
 * pending entries are taken over by the others after `claimMinIdleMs`. A handler can therefore run
 * twice for one event: make side effects idempotent (key them by `event.id`). No ordering.
 *
 * Each worker reads each source partition log on its own (one blocking connection per log), so
 * on a Redis Cluster every read has one key, routed to the primary of that log's slot.
 *
 * @example
 * const worker = startReactor(welcome, { redis, store, signal: controller.signal });
 */
export function startReactor<Catalog extends EventCatalog>(
  reactor: Reactor<Catalog>,
  reactorOptions: ReactorOptions<Catalog>,
): ReactorRunner {
  const { redis } = reactorOptions;
  assertRedisClient(redis);
  const options = { ...DEFAULT_REACTOR_OPTIONS } as Required<
    Pick<ReactorOptions, keyof typeof DEFAULT_REACTOR_OPTIONS>
  >;
  for (const [name, value] of Object.entries(reactorOptions)) {
    if (value !== undefined && name in options) (options as Record<string, unknown>)[name] = value;
  }
  if (options.maxDeliveries < 1 || options.batchSize < 1) {
    throw new InvalidArgumentError("reactor options", "maxDeliveries and batchSize must be >= 1.");
  }
  // A batch is one XREADGROUP and one XACK: bounded like an append (issue 14).
  if (!Number.isSafeInteger(options.batchSize) || options.batchSize > MAX_BATCH_SIZE) {
    throw new InvalidArgumentError(
      "batchSize",
      `${String(options.batchSize)} must be an integer from 1 to ${MAX_BATCH_SIZE} (MAX_BATCH_SIZE).`,
    );
  }
  assertPrefixAgrees(reactorOptions.store, reactorOptions.prefix);
  const logger = reactorOptions.logger ?? silentLogger;
  const logs = reactorOptions.store?.keys ?? keyLayout(options.prefix);
  // Personal fields are decrypted with the store's keys (or the prefix's default key store).
  const keyRing = reactor.catalog.hasPersonalData
    ? (reactorOptions.store?.personalData ??
      new KeyRing(createRedisKeyStore({ redis, prefix: logs.prefix })))
    : undefined;
  const keys = reactorKeys(logs.prefix, reactor.name);
  const workerId = reactorOptions.workerId ?? defaultWorkerId();
  const stopController = new AbortController();
  const { signal } = stopController;
  // One implementation of list/retry/discard, shared with processes that only repair (the CLI).
  const deadLetters = createReactorDeadLetters(reactor, {
    redis,
    prefix: logs.prefix,
    personalData: keyRing,
    signal,
  });
  const handle = reactorEntryHandler({
    reactor: reactor as Reactor,
    redis,
    keys,
    workerId,
    keyRing,
    logger,
    // The reactor's own providers, else the store's, else the global ones.
    instrumentation: reactorInstrumentation(
      createProjectionsTelemetry(telemetryOptionsFor(reactorOptions, reactorOptions.store)),
      { reactor: reactor.name, workerId },
    ),
    options,
    signal,
  });

  let state: ReactorState = "starting";
  const setState = (next: ReactorState) => {
    if (state === next) return;
    logger.info(
      { reactor: reactor.name, worker: workerId, from: state, to: next },
      `[streamstore] reactor "${reactor.name}" ${workerId}: ${state} -> ${next}`,
    );
    state = next;
  };
  // The worker is `reconnecting` while any reader waits for Redis, `running` once all read.
  let lastError: string | undefined;
  const health = new Map<string, Health>();
  const noteHealth = (where: string, next: Health, error?: string) => {
    health.set(where, next);
    if (error !== undefined) lastError = error;
    if (signal.aborted) return;
    const all = [...health.values()];
    if (all.includes("reconnecting")) setState("reconnecting");
    else if (all.every((value) => value === "ok")) {
      lastError = undefined;
      setState("running");
    }
  };

  /** Retries after a failure: logs it (once per streak and per 5 s) and waits. */
  const failed = async (where: string, failures: FailureStreak, error: unknown) => {
    const failure = describeRedisFailure(error, redis);
    noteHealth(where, failure.kind === undefined ? "failing" : "reconnecting", failure.text);
    const { delayMs, warn, failuresInARow } = failures.fail(performance.now());
    if (warn) {
      logger.warn(
        {
          reactor: reactor.name,
          worker: workerId,
          ...(where === "sources" ? {} : { partition: where }),
          error: failure.text,
          retryInMs: delayMs,
          failuresInARow,
        },
        `[streamstore] reactor "${reactor.name}" ${workerId}: ${failure.text}; retrying in ${delayMs} ms${failuresInARow > 1 ? ` (failure ${failuresInARow} in a row)` : ""}.`,
      );
    }
    await sleep(delayMs, signal);
  };

  /** Reads one source partition log until stopped: claims others' idle entries, then new ones. */
  const runSource = async (source: ReactorSource) => {
    const where = `${source.category}:${source.partition}`;
    const failures = new FailureStreak(options.reconnectDelayMs, RETRY_CAP_MS);
    let grouped = false;
    let nextClaim = 0;
    while (!signal.aborted) {
      try {
        if (!grouped) {
          await source.reader.createGroup(options.startFrom === "end" ? "$" : "0");
          grouped = true;
        }
        if (performance.now() >= nextClaim) {
          nextClaim = performance.now() + options.claimIntervalMs;
          const page = await source.reader.claimIdleEntries(
            options.claimMinIdleMs,
            "0-0",
            options.batchSize,
          );
          await Promise.all(page.claimed.map((entry) => handle(source, entry, true)));
          await source.reader.ack(page.deleted);
        }
        if (!(await source.reader.connected())) break;
        noteHealth(where, "ok");
        const entries = await source.reader.readNew(options.batchSize, options.blockMs);
        await Promise.all(entries.map((entry) => handle(source, entry)));
        failures.reset();
      } catch (error) {
        if (signal.aborted) break;
        await failed(where, failures, error);
      }
    }
    source.reader.close();
  };

  /** The source partition logs now: a category's partition count is known once it is written. */
  const partitionsNow = async () => {
    const found: { category: string; partition: number }[] = [];
    for (const category of reactor.source) {
      const count = reactorOptions.store
        ? await reactorOptions.store.partitionsOf(category)
        : ((await readPartitionCount(redis, logs, category)) ?? 1);
      for (let partition = 0; partition < count; partition++) found.push({ category, partition });
    }
    return found;
  };

  const run = async () => {
    // One reader loop per source partition log, all concurrent; the partitions are looked up
    // again every claimIntervalMs, for categories first written after the start.
    const loops = new Map<string, Promise<void>>();
    const failures = new FailureStreak(options.reconnectDelayMs, RETRY_CAP_MS);
    while (!signal.aborted) {
      try {
        for (const { category, partition } of await partitionsNow()) {
          const logKey = logs.log(category, partition);
          if (loops.has(logKey)) continue;
          const reader = new ConsumerGroupReader({
            redis,
            logKey,
            group: keys.group,
            consumer: workerId,
            connectionName: `ss-rx-${reactor.name}-${workerId}`,
            signal,
            // A reader that read before and now waits: Redis went away (a first connection is not).
            onConnectionWait: () => {
              const where = `${category}:${partition}`;
              if (health.get(where) === "ok") noteHealth(where, "reconnecting");
            },
          });
          loops.set(logKey, runSource({ category, partition, reader }));
        }
        failures.reset();
        health.delete("sources");
        await sleep(options.claimIntervalMs, signal);
      } catch (error) {
        if (signal.aborted) break;
        await failed("sources", failures, error);
      }
    }
    setState("stopping");
    await Promise.all(loops.values());
    setState("stopped");
  };

  if (reactorOptions.signal) {
    if (reactorOptions.signal.aborted) stopController.abort();
    reactorOptions.signal.addEventListener("abort", () => stopController.abort(), { once: true });
  }
  const done = run();

  return {
    workerId,
    get state() {
      return state;
    },
    get lastError() {
      return lastError;
    },
    deadLetters,
    async stop() {
      stopController.abort();
      await done;
    },
    done,
  };
}
