/**
 * The types of an append, apart from the EventStore interface so that the errors that carry them
 * (ConcurrencyError, ReplicationTimeoutError) and the store do not import each other.
 */
import type { EventMetadata } from "../events/types.js";

/** What the caller expected a stream's version to be. */
export type ExpectedVersion = "any" | "no_stream" | "stream_exists" | number;

/** Options of {@link EventStore.append}. */
export interface AppendOptions {
  /**
   * The version the stream must be at for the append to happen: `"any"` (default), `"no_stream"`,
   * `"stream_exists"` or an exact version (0 means the stream has no events).
   */
  expectedVersion?: ExpectedVersion;
  /** Metadata put on every event of the batch (an event's own metadata wins per field). */
  metadata?: EventMetadata;
  /**
   * Wait until this many replicas of the stream's primary confirm the write (Redis `WAIT`, sent on
   * the same connection right after the append script, so on a Cluster it reaches the node that
   * ran it). Off by default: Redis replication is asynchronous, and a primary that dies right
   * after acknowledging may lose the append. `WAIT` blocks its connection until it returns, so
   * give durable appends a client of their own. See docs/cluster.md.
   *
   * @example
   * await store.append("order-1", events, { durability: { replicas: 1, timeoutMs: 500 } });
   */
  durability?: AppendDurability;
}

/** See {@link AppendOptions.durability}. */
export interface AppendDurability {
  /** Replicas that must confirm the write (an integer >= 1). */
  replicas: number;
  /** How long to wait for them, in ms (an integer >= 1); then `ReplicationTimeoutError`. */
  timeoutMs: number;
}

/** What an append did. */
export interface AppendResult {
  streamName: string;
  /** The stream's version after the append: pass it as the next `expectedVersion`. */
  nextExpectedVersion: number;
  /** Version of the first event of the batch. */
  firstVersion: number;
  /** Positions of the events in their category partition log, in order. */
  positions: string[];
  /** The category partition the events went to. */
  partition: number;
  /**
   * True when these event ids were already stored by an earlier append (a retry after a lost
   * reply): nothing was written and the first append's result is returned.
   */
  duplicate: boolean;
  /** With `durability`: the replicas that confirmed the write (at least the number asked for). */
  replicasAcknowledged?: number;
}
