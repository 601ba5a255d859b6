import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import {
  createRedisKeyStore,
  decodeEntry,
  type EventCatalog,
  type EventStore,
  failSpan,
  InvalidArgumentError,
  KeyRing,
  keyLayout,
  type Logger,
  MAX_BATCH_SIZE,
  type RawStreamEntry,
  type RecordedEvent,
  SPAN_KIND_CONSUMER,
  silentLogger,
  subjectsOfEntries,
  type TelemetryAttributes,
  type TelemetryOptions,
} from "@streamstore/core";
import { describeRedisFailure, readPartitionCount, sleep } from "@streamstore/core/internal";
import type { Cluster, Redis } from "ioredis";
import {
  createReactorDeadLetters,
  type ReactorDeadLetters,
} from "../deadLetters/createReactorDeadLetters.js";
import { errorText } from "../errors.js";
import { reactorKeys } from "../keys/reactorKeys.js";
import { sendCommand } from "../runner/redisCommands.js";
import {
  createProjectionsTelemetry,
  telemetryOptionsFor,
} from "../telemetry/projectionsTelemetry.js";
import type { Reactor, ReactorContext } from "./defineReactor.js";

/**
 * Options of {@link startReactor}.
 *
 * @example
 * startReactor(mailer, { redis, store, startFrom: "beginning", maxDeliveries: 3 });
 */
export interface ReactorOptions<Catalog extends EventCatalog = EventCatalog>
  extends TelemetryOptions {
  /** The ioredis client (or the in-memory fake); duplicated once for blocking reads. */
  redis: Redis | Cluster;
  /** The event store the events are appended with (for its prefix and partition counts). */
  store?: EventStore<Catalog>;
  /** Without `store`: the event store's key prefix (default `"ss"`). */
  prefix?: string;
  /** This worker's consumer name. Default: host, pid and a random part. */
  workerId?: string;
  /** Stops the worker: in-flight handlers get an aborted signal and are awaited. */
  signal?: AbortSignal;
  /**
   * Where state changes and failures are logged, with structured fields (`reactor`, `worker`,
   * `partition`, `entryId`, `error`); pino-compatible. Default: silent.
   */
  logger?: Logger;
  /** Where a new consumer group starts: `"end"` (only events appended from now on) or `"beginning"`. */
  startFrom?: "end" | "beginning";
  /** Entries per XREADGROUP; they are handled concurrently. At most 10,000. */
  batchSize?: number;
  /** XREADGROUP BLOCK time, ms. */
  blockMs?: number;
  /** Handler attempts per event before it is dead-lettered. */
  maxDeliveries?: number;
  /** First retry delay after a handler failure, ms (doubles per attempt). */
  retryBackoffMs?: number;
  /** Longest retry delay, ms. */
  retryBackoffMaxMs?: number;
  /** How often pending entries of other (dead) workers are looked for, ms. */
  claimIntervalMs?: number;
  /** An entry pending this long is taken over (XAUTOCLAIM min-idle): above your slowest handler, ms. */
  claimMinIdleMs?: number;
  /** Delay before retrying after a Redis error, ms. */
  reconnectDelayMs?: number;
}

/**
 * The defaults of {@link ReactorOptions}.
 *
 * @example
 * startReactor(mailer, { redis, store, claimMinIdleMs: DEFAULT_REACTOR_OPTIONS.claimMinIdleMs * 2 });
 */
export const DEFAULT_REACTOR_OPTIONS = {
  prefix: "ss",
  startFrom: "end",
  batchSize: 100,
  blockMs: 1000,
  maxDeliveries: 5,
  retryBackoffMs: 100,
  retryBackoffMaxMs: 5000,
  claimIntervalMs: 1000,
  claimMinIdleMs: 30_000,
  reconnectDelayMs: 250,
} as const satisfies Partial<ReactorOptions>;

/**
 * A reactor worker's state; changed only in `setState`, logged `from -> to`.
 *
 * @example
 * if (worker.state === "running") console.log("reacting");
 */
export type ReactorState =
  | "starting"
  | "running"
  /** Redis is unreachable (or refuses the credentials): retrying with backoff; see `lastError`. */
  | "reconnecting"
  | "stopping"
  | "stopped";

/**
 * A running reactor worker.
 *
 * @example
 * const worker: ReactorRunner = startReactor(mailer, { redis, store });
 * await worker.stop();
 */
export interface ReactorRunner {
  readonly workerId: string;
  readonly state: ReactorState;
  /** What the worker last failed on while it retries (where Redis is, the driver's words); undefined while healthy. */
  readonly lastError: string | undefined;
  /** Dead letters of the reactor (shared by all its workers). */
  readonly deadLetters: ReactorDeadLetters;
  stop(): Promise<void>;
  readonly done: Promise<void>;
}

type Handler = (event: RecordedEvent, context: ReactorContext) => Promise<void> | void;

/**
 * Starts a reactor worker: competing consumers in one consumer group per source partition log.
 * Guarantee: **at least once** — an event is acked (XACK) only after its handler succeeded (or it
 * was dead-lettered after `maxDeliveries` attempts, counted in Redis across crashes); a worker's
 * pending entries are taken over by the others after `claimMinIdleMs`. A handler can therefore run
 * twice for one event: make side effects idempotent (key them by `event.id`). No ordering.
 *
 * @example
 * const worker = startReactor(welcome, { redis, store, signal: controller.signal });
 */
export function startReactor<Catalog extends EventCatalog>(
  reactor: Reactor<Catalog>,
  reactorOptions: ReactorOptions<Catalog>,
): ReactorRunner {
  const { redis } = reactorOptions;
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
  const logger = reactorOptions.logger ?? silentLogger;
  const telemetry = createProjectionsTelemetry(
    telemetryOptionsFor(reactorOptions, reactorOptions.store),
  );
  const logs = reactorOptions.store?.keys ?? keyLayout(options.prefix);
  // Personal fields are decrypted with the store's keys (or the prefix's default key store).
  const keyRing = reactor.catalog.hasPersonalData
    ? (reactorOptions.store?.personalData ??
      new KeyRing(createRedisKeyStore({ redis, prefix: logs.prefix })))
    : undefined;
  const keys = reactorKeys(logs.prefix, reactor.name);
  const { group, attempts: attemptsKey, deadLetters: deadLetterKey } = keys;
  const workerId =
    reactorOptions.workerId ??
    `${hostname()}-${process.pid}-${randomBytes(4).toString("hex")}`.replace(
      /[^A-Za-z0-9_.:-]/g,
      "_",
    );
  const handlers = reactor.handlers as Record<string, Handler | undefined>;
  const stopController = new AbortController();
  // One implementation of list/retry/discard, shared with processes that only repair (the CLI).
  const deadLetters = createReactorDeadLetters(reactor, {
    redis,
    prefix: logs.prefix,
    personalData: keyRing,
    signal: stopController.signal,
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

  let sources: { category: string; partition: number; logKey: string }[] = [];
  const resolveSources = async () => {
    const next: typeof sources = [];
    for (const category of reactor.source) {
      const count = reactorOptions.store
        ? await reactorOptions.store.partitionsOf(category)
        : ((await readPartitionCount(redis, logs, category)) ?? 1);
      for (let partition = 0; partition < count; partition++) {
        const logKey = logs.log(category, partition);
        if (!sources.some((source) => source.logKey === logKey)) {
          try {
            await sendCommand(
              redis,
              "xgroup",
              "CREATE",
              logKey,
              group,
              options.startFrom === "end" ? "$" : "0",
              "MKSTREAM",
            );
          } catch (error) {
            if (!String((error as Error).message).includes("BUSYGROUP")) throw error;
          }
        }
        next.push({ category, partition, logKey });
      }
    }
    sources = next;
  };

  const deadLetter = async (
    source: { category: string; partition: number; logKey: string },
    entry: RawStreamEntry,
    reason: "handler" | "corrupt",
    attempts: number,
    error: unknown,
  ) => {
    const object: Record<string, string> = {};
    const fields = entry[1] ?? [];
    for (let i = 0; i + 1 < fields.length; i += 2)
      object[fields[i] as string] = fields[i + 1] as string;
    // Not atomic with the XACK (other slot): a crash in between leaves a duplicate dead letter at
    // worst, which is within at-least-once.
    await redis.xadd(
      deadLetterKey,
      "*",
      "partition",
      `${source.category}:${source.partition}`,
      "entryId",
      entry[0],
      "reason",
      reason,
      "attempts",
      String(attempts),
      "error",
      errorText(error),
      "type",
      object.t ?? "",
      "entry",
      JSON.stringify(object),
      "at",
      String(Date.now()),
    );
  };

  // One `streamstore.reactor.handle` span per entry (handlers run concurrently, so a batch span
  // would not say which one was slow); metrics count what was acked and redelivered.
  const handle = (
    source: (typeof sources)[number],
    entry: RawStreamEntry,
    claimed = false,
  ): Promise<unknown> => {
    const tracer = telemetry.tracer();
    const instruments = telemetry.instruments();
    if (!tracer && !instruments) return handleOnce(source, entry);
    const attributes: TelemetryAttributes = {
      "streamstore.reactor.name": reactor.name,
      "streamstore.category": source.category,
      "streamstore.partition": source.partition,
    };
    if (claimed) {
      instruments?.reactorRedeliveries.add(1, {
        ...attributes,
        "streamstore.redelivery.reason": "claimed",
      });
    }
    const run = async (span?: { setAttributes(a: TelemetryAttributes): unknown }) => {
      const outcome = await handleOnce(source, entry, attributes);
      span?.setAttributes({ "streamstore.outcome": outcome });
      if (outcome !== "retry-later") instruments?.reactorEvents.add(1, attributes);
    };
    if (!tracer) return run();
    return tracer.startActiveSpan(
      "streamstore.reactor.handle",
      {
        kind: SPAN_KIND_CONSUMER,
        attributes: {
          ...attributes,
          "streamstore.entry_id": entry[0],
          "streamstore.worker.id": workerId,
        },
      },
      async (span) => {
        try {
          await run(span);
        } catch (error) {
          failSpan(span, error);
          throw error;
        } finally {
          span.end();
        }
      },
    );
  };

  const handleOnce = async (
    source: (typeof sources)[number],
    entry: RawStreamEntry,
    attributes?: TelemetryAttributes,
  ): Promise<"handled" | "skipped" | "dead-lettered" | "retry-later"> => {
    const [id, fields] = entry;
    const ack = () => sendCommand(redis, "xack", source.logKey, group, id);
    if (fields === null) {
      await ack();
      return "skipped";
    }
    let event: RecordedEvent;
    try {
      if (keyRing) await keyRing.load(subjectsOfEntries([entry]));
      event = decodeEntry(
        reactor.catalog,
        entry,
        {
          streamName: source.logKey,
          category: source.category,
          partition: source.partition,
          kind: "log",
        },
        keyRing,
      );
    } catch (error) {
      await deadLetter(source, entry, "corrupt", 1, error);
      if (attributes) {
        telemetry.instruments()?.reactorDeadLetters.add(1, {
          ...attributes,
          "streamstore.dead_letter.reason": "corrupt",
        });
      }
      await ack();
      return "dead-lettered";
    }
    const handler = handlers[event.type];
    if (!handler) {
      await ack();
      return "skipped";
    }
    const attemptField = `${source.logKey}:${id}`;
    for (;;) {
      const attempt = await redis.hincrby(attemptsKey, attemptField, 1);
      try {
        await handler(event, { reactor: reactor.name, attempt, signal: stopController.signal });
        await ack();
        await redis.hdel(attemptsKey, attemptField);
        return "handled";
      } catch (error) {
        if (attempt >= options.maxDeliveries) {
          logger.error(
            {
              reactor: reactor.name,
              worker: workerId,
              partition: `${source.category}:${source.partition}`,
              entryId: id,
              attempts: attempt,
              error: errorText(error),
            },
            `[streamstore] reactor "${reactor.name}": entry ${id} failed ${attempt} time(s); moved to the dead-letter stream (retry it with deadLetters.retry after a fix).`,
          );
          await deadLetter(source, entry, "handler", attempt, error);
          if (attributes) {
            telemetry.instruments()?.reactorDeadLetters.add(1, {
              ...attributes,
              "streamstore.dead_letter.reason": "handler",
            });
          }
          await ack();
          await redis.hdel(attemptsKey, attemptField);
          return "dead-lettered";
        }
        await sleep(
          Math.min(options.retryBackoffMs * 2 ** (attempt - 1), options.retryBackoffMaxMs),
          stopController.signal,
        );
        // Stopping: leave it pending; another worker (or this one restarted) claims it.
        if (stopController.signal.aborted) return "retry-later";
        if (attributes) {
          telemetry.instruments()?.reactorRedeliveries.add(1, {
            ...attributes,
            "streamstore.redelivery.reason": "retry",
          });
        }
      }
    }
  };

  let blocking: Redis | undefined;
  const readBlocking = (connection: Redis, ...args: (string | number)[]) =>
    new Promise<unknown>((resolve, reject) => {
      // ECONNRESET: a lost connection, reported as such (reconnecting), not as a bug.
      const onClose = () =>
        reject(
          Object.assign(new Error("the blocking connection closed during a read"), {
            code: "ECONNRESET",
          }),
        );
      const events = connection as Partial<Pick<Redis, "once" | "off">>;
      events.once?.call(connection, "close", onClose);
      sendCommand(connection, "xreadgroup", ...args)
        .then(resolve, reject)
        .finally(() => events.off?.call(connection, "close", onClose));
    });

  let lastError: string | undefined;
  const run = async () => {
    let nextClaim = 0;
    // Failures in a row: the retry delay doubles up to 5 s (or reconnectDelayMs, if longer), and
    // one warning per streak and per 5 s, so a long outage costs few log lines.
    let failureStreak = 0;
    let lastWarningAt = 0;
    while (!stopController.signal.aborted) {
      try {
        if (performance.now() >= nextClaim) {
          nextClaim = performance.now() + options.claimIntervalMs;
          await resolveSources();
          for (const source of sources) {
            const reply = (await sendCommand(
              redis,
              "xautoclaim",
              source.logKey,
              group,
              workerId,
              options.claimMinIdleMs,
              "0-0",
              "COUNT",
              options.batchSize,
            )) as [string, RawStreamEntry[], string[]?];
            await Promise.all(reply[1].map((entry) => handle(source, entry, true)));
            if (reply[2]?.length) await sendCommand(redis, "xack", source.logKey, group, reply[2]);
          }
        }
        if (sources.length === 0) {
          await sleep(options.claimIntervalMs, stopController.signal);
          continue;
        }
        if (!blocking) {
          // lazyConnect: false, or a lazy client's duplicate (connectRedis's) would never
          // connect: without an offline queue nothing ever triggers its connection.
          blocking = (redis as Redis).duplicate({
            lazyConnect: false,
            enableOfflineQueue: false,
            autoResendUnfulfilledCommands: false,
            maxRetriesPerRequest: 0,
          });
          blocking.on?.("error", () => {});
        }
        const connection = blocking;
        while (
          (connection as { status?: string }).status !== undefined &&
          connection.status !== "ready"
        ) {
          if (connection.status === "end") blocking = undefined;
          if (connection.status === "end" || stopController.signal.aborted) break;
          if (state === "running") setState("reconnecting");
          await sleep(20, stopController.signal);
        }
        if (!blocking || stopController.signal.aborted) continue;
        setState("running");
        const reply = (await readBlocking(
          connection,
          "GROUP",
          group,
          workerId,
          "COUNT",
          options.batchSize,
          "BLOCK",
          options.blockMs,
          "STREAMS",
          ...sources.map((source) => source.logKey),
          ...sources.map(() => ">"),
        )) as [string, RawStreamEntry[]][] | null;
        const work: Promise<unknown>[] = [];
        for (const [logKey, entries] of reply ?? []) {
          const source = sources.find((candidate) => candidate.logKey === logKey);
          if (source) for (const entry of entries) work.push(handle(source, entry));
        }
        await Promise.all(work);
        failureStreak = 0;
        lastError = undefined;
      } catch (error) {
        if (stopController.signal.aborted) break;
        const failure = describeRedisFailure(error, redis);
        lastError = failure.text;
        if (failure.kind !== undefined) setState("reconnecting");
        const delayMs = Math.min(
          options.reconnectDelayMs * 2 ** failureStreak,
          Math.max(options.reconnectDelayMs, 5000),
        );
        if (failureStreak === 0 || performance.now() - lastWarningAt > 5000) {
          lastWarningAt = performance.now();
          logger.warn(
            {
              reactor: reactor.name,
              worker: workerId,
              error: failure.text,
              retryInMs: delayMs,
              failuresInARow: failureStreak + 1,
            },
            `[streamstore] reactor "${reactor.name}" ${workerId}: ${failure.text}; retrying in ${delayMs} ms${failureStreak > 0 ? ` (failure ${failureStreak + 1} in a row)` : ""}.`,
          );
        }
        failureStreak++;
        await sleep(delayMs, stopController.signal);
      }
    }
    setState("stopping");
    blocking?.disconnect();
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
