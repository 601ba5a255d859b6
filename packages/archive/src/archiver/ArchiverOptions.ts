import type { EventArchive, Logger } from "@streamstore/core";
import type { Cluster, Redis } from "ioredis";

/** How much of a category stays hot in Redis; the rest is moved to the archive. */
export interface ArchivePolicy {
  /** Keep at least this many of each partition's newest events in Redis. */
  keepEvents?: number;
  /** Keep events younger than this many ms in Redis. */
  keepMs?: number;
}

/** Options of {@link startArchiver}. */
export interface ArchiverOptions {
  /** The Redis the event store writes to (`Redis` or `Cluster`). */
  redis: Redis | Cluster;
  /** Where archived events go: `createPostgresArchive(...)`. The store must read the same one. */
  archive: EventArchive;
  /** The event store's key prefix. Default `"ss"`. */
  prefix?: string;
  /**
   * What stays hot, per category, with a `default` for categories not named. A category with
   * no policy (and no default) is never archived. Both limits hold when both are given: an event
   * is archived only once it is outside the newest `keepEvents` AND older than `keepMs`.
   *
   * @example
   * { default: { keepMs: 7 * 24 * 3600_000 }, order: { keepEvents: 100_000 } }
   */
  policies: { default?: ArchivePolicy; [category: string]: ArchivePolicy | undefined };
  /**
   * Never archive an event younger than this, whatever the policy: an append retried after a
   * lost reply is recognised by its event ids only while its batch is in Redis. Default 10
   * minutes; at least 1 second.
   */
  minAgeMs?: number;
  /**
   * Never trim a log entry that a consumer group of the log (a projection, a reactor) has not
   * yet acknowledged, or not yet read. Default true. Turning it off lets a stopped projection fall
   * behind the hot window; it then catches up through the archive (startProjection's `archive`).
   */
  respectConsumerGroups?: boolean;
  /** Log entries archived per step (one archive transaction, one trim). Default 1,000, at most 10,000. */
  batchSize?: number;
  /** Pause between passes that found nothing to archive, in ms. Default 1,000. */
  idleMs?: number;
  /** Lease on a category partition, in ms: another archiver takes it over this long after a crash. Default 15,000. */
  leaseMs?: number;
  /** Names this archiver in leases and logs. Default: host name, pid and a random suffix. */
  workerId?: string;
  /** Structured logger (pino fits). Default: silent. */
  logger?: Logger;
}

/** The defaults of {@link ArchiverOptions}. */
export const DEFAULT_ARCHIVER_OPTIONS = {
  prefix: "ss",
  minAgeMs: 10 * 60_000,
  respectConsumerGroups: true,
  batchSize: 1000,
  idleMs: 1000,
  leaseMs: 15_000,
} as const;
