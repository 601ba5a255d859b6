/**
 * One archived event: a category log entry as Redis held it, with where it was. The JSON fields
 * are the exact text the log held, so an archived event decodes (schema check, upcasting) through
 * the same path as a hot one.
 */
export interface ArchivedEntry {
  category: string;
  partition: number;
  /** The entry's position in its category partition log (`<ms>-<seq>`), unchanged. */
  position: string;
  /** The aggregate stream, `<category>-<id>`. */
  streamName: string;
  version: number;
  /** The event id (the idempotency key). */
  eventId: string;
  type: string;
  /** The payload's JSON text, as appended. */
  data: string;
  /** The metadata's JSON text, or undefined when the event has none. */
  metadata: string | undefined;
  schemaVersion: number;
}

/** What {@link EventArchive.readStream} reads: versions of one stream, like `store.read`. */
export interface ArchiveStreamRequest {
  direction: "forward" | "backward";
  /** Lowest version to read (inclusive, >= 1). */
  from: number;
  /** Highest version to read (inclusive). */
  to: number;
  /** At most this many events (>= 1), from `from` forward or from `to` backward. */
  limit: number;
}

/** What {@link EventArchive.readPartition} reads: a category partition in log order. */
export interface ArchivePartitionRequest {
  /** Read entries after this position (exclusive); `"0-0"` for the start. */
  after: string;
  /** And at most up to this position (inclusive); undefined for no bound. */
  until?: string;
  /** At most this many entries (>= 1). */
  limit: number;
  /**
   * `"forward"` (default): the first `limit` entries of the range, ascending; `"backward"`: the
   * last `limit` entries of the range, descending (what `store.readCategory` reads backward).
   */
  direction?: "forward" | "backward";
}

/** How much one category partition holds in the archive. */
export interface ArchivePartitionStats {
  category: string;
  partition: number;
  events: number;
  /** Bytes of the stored rows as the archive measures them (PostgreSQL: the rows' column sizes). */
  bytes: number;
  /** The highest archived position, undefined when empty. */
  lastPosition: string | undefined;
}

/**
 * The cold tier: where events older than a category's hot window live once the archiver moved
 * them out of Redis. `createPostgresArchive` (@streamstore/archive) is the durable one,
 * `createInMemoryArchive` (@streamstore/testing) the one for tests; both pass `testArchive`.
 *
 * @example
 * const store = getRedisEventStore({ redis, events, archive: createPostgresArchive({ connectionString }) });
 */
export interface EventArchive {
  /**
   * Stores entries, idempotently: an entry already stored at its (category, partition, position)
   * is kept as it is. Resolves only once every entry is durable (committed); rejects with nothing
   * of the call stored when any entry cannot be (all or nothing).
   */
  write(entries: readonly ArchivedEntry[]): Promise<void>;
  /** Versions of one stream, in reading order (forward: ascending, backward: descending). */
  readStream(streamName: string, request: ArchiveStreamRequest): Promise<ArchivedEntry[]>;
  /**
   * Entries of one category partition in position order: ascending, or descending with
   * `direction: "backward"`.
   */
  readPartition(
    category: string,
    partition: number,
    request: ArchivePartitionRequest,
  ): Promise<ArchivedEntry[]>;
  /** The highest archived position of a category partition, undefined when it has none. */
  lastPosition(category: string, partition: number): Promise<string | undefined>;
  /** Counts and bytes per category partition (every partition that holds events). */
  stats(): Promise<ArchivePartitionStats[]>;
  /** Releases connections the archive opened itself (never a pool or client it was given). */
  close(): Promise<void>;
}
