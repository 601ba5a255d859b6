import type { EventCatalog, EventStore, Logger, TelemetryOptions } from "@streamstore/core";
import type { Cluster, Redis } from "ioredis";
import type { ReactorDeadLetters } from "../deadLetters/createReactorDeadLetters.js";

/**
 * Options of {@link startReactor}.
 *
 * @example
 * startReactor(mailer, { redis, store, startFrom: "beginning", maxDeliveries: 3 });
 */
export interface ReactorOptions<Catalog extends EventCatalog = EventCatalog>
  extends TelemetryOptions {
  /** The ioredis client (or the in-memory fake); duplicated once per source partition log for blocking reads. */
  redis: Redis | Cluster;
  /** The event store the events are appended with (for its prefix and partition counts). */
  store?: EventStore<Catalog>;
  /** Without `store`: the event store's key prefix (default `"ss"`). With one: leave it out (another prefix than the store's is refused). */
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
