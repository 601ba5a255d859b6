import type {
  EventArchive,
  EventCatalog,
  EventStore,
  Logger,
  TelemetryOptions,
} from "@streamstore/core";
import type { Cluster, Redis } from "ioredis";
import type { ReadModelStore } from "../readModel/ReadModelStore.js";

/**
 * What a commit did, for `onCommit` (metrics, latency measurements).
 *
 * @example
 * startProjection(balances, { redis, store, onCommit: (info) => metrics.add(info.entryIds.length) });
 */
export interface CommitInfo {
  /** `<category>:<partition>` */
  partition: string;
  /** The last position of the batch. */
  position: string;
  /** The log entries committed (applied, skipped or dead-lettered), in order. */
  entryIds: readonly string[];
  /** Dead letters written by this commit. */
  deadLetters: number;
}

/**
 * Options of {@link startProjection}.
 *
 * @example
 * startProjection(balances, { redis, store, maxDeliveries: 3, onHandlerFailure: "stop" });
 */
export interface ProjectionRunnerOptions<Catalog extends EventCatalog = EventCatalog>
  extends TelemetryOptions {
  /**
   * The ioredis client (or the in-memory fake). The runner duplicates it once per owned
   * partition for its blocking reads.
   */
  redis: Redis | Cluster;
  /** The event store the events are appended with (its partition counts and prefix are used). */
  store?: EventStore<Catalog>;
  /** Without `store`: the key prefix of the event store (default `"ss"`). With one: leave it out (another prefix than the store's is refused). */
  prefix?: string;
  /** Where the read model lives. Default: Redis, beside the logs. */
  readModel?: ReadModelStore;
  /**
   * Where the archiver moved the oldest log entries (the same archive it writes to:
   * `createPostgresArchive` of @streamstore/archive; `createInMemoryArchive` of
   * @streamstore/testing in tests). A partition whose checkpoint lies below the archive seam (a
   * build started from scratch, a projection stopped behind the hot window) then reads the
   * archived entries from it and the rest from Redis, in log order, with no gap and no duplicate
   * at the seam, also while the archiver moves it. Without it, such a partition applies nothing:
   * it logs `ArchiveRequiredError` and retries, while the other partitions go on. Projections
   * that never fall behind the hot window (the archiver by default never trims what a consumer
   * group has not acknowledged) never read it. Default: the `store`'s own `archive`. See
   * docs/delivery-guarantees.md.
   *
   * @example
   * startProjection(balances, { redis, store, archive: createPostgresArchive({ connectionString }) });
   */
  archive?: EventArchive;
  /** This worker's id in the membership set and consumer groups. Default: host, pid and a random part. */
  workerId?: string;
  /** Stops the runner: the in-flight batch is committed (or abandoned before its commit), leases released. */
  signal?: AbortSignal;
  /**
   * Where state changes and failures are logged, with structured fields (`projection`, `build`,
   * `partition`, `worker`, `error`); pino-compatible. Default: silent.
   */
  logger?: Logger;
  /** Called after every commit (keep it cheap). */
  onCommit?: (info: CommitInfo) => void;
  /** Log entries per batch (one XRANGE page or XREADGROUP COUNT, one commit). At most 10,000. */
  batchSize?: number;
  /** XREADGROUP BLOCK time, ms: the longest an idle partition waits before looking again. */
  blockMs?: number;
  /** How often a worker heartbeats, renews its leases and rebalances, ms. */
  heartbeatMs?: number;
  /** A worker whose heartbeat is older than this is dead, ms (joins and deaths are noticed within it). */
  memberTtlMs?: number;
  /** A partition lease lasts this long without renewal, ms; a dead owner's partition moves after it. */
  leaseTtlMs?: number;
  /** A blocking read is only sent while the lease stays valid for BLOCK + this margin, ms. */
  leaseMarginMs?: number;
  /** XAUTOCLAIM min-idle time, ms. 0 is safe: the lease and fence already exclude the old owner. */
  claimMinIdleMs?: number;
  /** Handler attempts per event before it is dead-lettered (or the partition stops). */
  maxDeliveries?: number;
  /** First retry delay after a handler failure, ms (doubles per attempt). */
  retryBackoffMs?: number;
  /** Longest retry delay, ms. */
  retryBackoffMaxMs?: number;
  /** After `maxDeliveries` failures: `"dead-letter"` the event and go on, or `"stop"` the partition. */
  onHandlerFailure?: "dead-letter" | "stop";
  /** Delay before a partition retries after a Redis error (connection lost), ms. */
  reconnectDelayMs?: number;
  /** Documents kept in memory per owned partition (saves reads; revisions keep it honest). */
  documentCacheSize?: number;
  /** How long readers may use a cached active-build pointer, ms. */
  activeBuildCacheMs?: number;
  /** After a rebuild switched readers, the old build's keys are deleted this much later, ms. */
  rebuildGraceMs?: number;
}

/**
 * The defaults of {@link ProjectionRunnerOptions}.
 *
 * @example
 * startProjection(balances, { redis, store, leaseTtlMs: DEFAULT_PROJECTION_RUNNER_OPTIONS.leaseTtlMs * 2 });
 */
export const DEFAULT_PROJECTION_RUNNER_OPTIONS = {
  prefix: "ss",
  batchSize: 500,
  blockMs: 1000,
  heartbeatMs: 1000,
  memberTtlMs: 3000,
  leaseTtlMs: 3000,
  leaseMarginMs: 300,
  claimMinIdleMs: 0,
  maxDeliveries: 5,
  retryBackoffMs: 100,
  retryBackoffMaxMs: 5000,
  onHandlerFailure: "dead-letter",
  reconnectDelayMs: 250,
  documentCacheSize: 50_000,
  activeBuildCacheMs: 1000,
  rebuildGraceMs: 10_000,
} as const satisfies Partial<ProjectionRunnerOptions>;

/**
 * The options after defaults.
 *
 * @example
 * const blockMs: ResolvedRunnerOptions["blockMs"] = DEFAULT_PROJECTION_RUNNER_OPTIONS.blockMs;
 */
export type ResolvedRunnerOptions = Required<
  Pick<ProjectionRunnerOptions, keyof typeof DEFAULT_PROJECTION_RUNNER_OPTIONS>
>;
