import type { AppendResult, ExpectedVersion } from "../store/appendTypes.js";
import { isStreamstoreError, StreamstoreError } from "./StreamstoreError.js";

/**
 * An append's expected version did not match the stream. Carries the actual version, so a retry
 * needs no extra read.
 *
 * @example
 * catch (error) { if (isConcurrencyError(error)) console.log(error.actualVersion); }
 */
export class ConcurrencyError extends StreamstoreError {
  constructor(
    readonly streamName: string,
    readonly expectedVersion: ExpectedVersion,
    /** The stream's version when the append was refused; 0 when the stream does not exist. */
    readonly actualVersion: number,
    /** Whether the stream existed when the append was refused. */
    readonly streamExists: boolean,
  ) {
    super(
      "CONCURRENCY",
      `[streamstore] stream "${streamName}" is at version ${actualVersion}${streamExists ? "" : " (it does not exist)"}, the append expected ${JSON.stringify(expectedVersion)}: load the stream again and retry the command (handleCommand does this for you).`,
    );
  }
}

/**
 * An event's payload (or metadata) failed its schema, or holds a value JSON cannot carry
 * faithfully (BigInt, NaN, Infinity, a function).
 *
 * @example
 * if (isInvalidEventError(error)) console.log(error.issues);
 */
export class InvalidEventError extends StreamstoreError {
  constructor(
    readonly eventType: string,
    readonly reason: string,
    readonly issues: readonly unknown[] = [],
  ) {
    super(
      "INVALID_EVENT",
      `[streamstore] event "${eventType}" is invalid: ${reason}. Fix the payload to match the schema given to defineEvents; nothing was written.`,
    );
  }
}

/** An append named an event type that the catalog given to the store does not define. */
export class UnknownEventTypeError extends StreamstoreError {
  constructor(
    readonly eventType: string,
    readonly knownTypes: readonly string[],
  ) {
    super(
      "UNKNOWN_EVENT_TYPE",
      `[streamstore] unknown event type "${eventType}": add it to defineEvents({...}) (known: ${knownTypes.join(", ") || "none"}); nothing was written.`,
    );
  }
}

/** A stream name (or category, id or key prefix) that cannot be stored safely. */
export class InvalidStreamNameError extends StreamstoreError {
  constructor(
    readonly streamName: string,
    readonly reason: string,
  ) {
    super(
      "INVALID_STREAM_NAME",
      `[streamstore] invalid stream name ${JSON.stringify(streamName.length > 80 ? `${streamName.slice(0, 80)}…` : streamName)}: ${reason}. Stream names are "<category>-<id>": see "Storage layout" in the @streamstore/core README.`,
    );
  }
}

/** An event is larger than the store's `maxEventBytes`. */
export class EventTooLargeError extends StreamstoreError {
  constructor(
    readonly eventType: string,
    readonly bytes: number,
    readonly maxBytes: number,
  ) {
    super(
      "EVENT_TOO_LARGE",
      `[streamstore] event "${eventType}" is ${bytes} bytes, over the limit of ${maxBytes}: store large blobs elsewhere and reference them, or raise the store's maxEventBytes option; nothing was written.`,
    );
  }
}

/** An argument is out of its allowed range (an empty batch, a bad expected version, bad options). */
export class InvalidArgumentError extends StreamstoreError {
  constructor(
    readonly argument: string,
    reason: string,
  ) {
    super("INVALID_ARGUMENT", `[streamstore] invalid ${argument}: ${reason}`);
  }
}

/**
 * Event ids already stored on the stream were sent again with different content or in another
 * batch shape: an event id names one event forever.
 */
export class IdempotencyConflictError extends StreamstoreError {
  constructor(
    readonly streamName: string,
    readonly eventId: string,
    readonly reason: string,
  ) {
    super(
      "IDEMPOTENCY_CONFLICT",
      `[streamstore] event id "${eventId}" is already stored on "${streamName}" ${reason}: give new events new ids (or omit ids to have them generated); nothing was written.`,
    );
  }
}

/**
 * An entry read from Redis is not a valid event (hand-written, written by older code, or a gap
 * in versions). Names the stream, the version and the reason.
 */
export class CorruptEventError extends StreamstoreError {
  constructor(
    readonly streamName: string,
    readonly version: number | undefined,
    readonly entryId: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      "CORRUPT_EVENT",
      `[streamstore] entry ${entryId} of "${streamName}"${version === undefined ? "" : ` (version ${version})`} is not a valid event: ${reason}. Add an upcaster for old shapes, or repair the entry by hand.`,
      options,
    );
  }
}

/** A category was first written with another number of partitions than this store is set to. */
export class PartitionCountMismatchError extends StreamstoreError {
  constructor(
    readonly category: string,
    readonly recorded: number,
    readonly configured: number,
  ) {
    super(
      "PARTITION_COUNT_MISMATCH",
      `[streamstore] category "${category}" was created with ${recorded} partition(s), this store is configured with ${configured}: the partition count of a category is fixed at its first write. Use partitions: { ${category}: ${recorded} }, or migrate the category (see "Storage layout" in the @streamstore/core README).`,
    );
  }
}

/** The Redis server is configured in a way that can silently lose events. */
export class UnsafeServerConfigError extends StreamstoreError {
  constructor(
    readonly setting: string,
    readonly value: string,
    reason: string,
  ) {
    super("UNSAFE_SERVER_CONFIG", `[streamstore] Redis ${setting} is "${value}": ${reason}`);
  }
}

/**
 * Redis refused the append because it reached `maxmemory` under `noeviction`. The append script
 * was refused as a whole: nothing was written. Retrying the same append later is safe.
 *
 * @example
 * catch (error) { if (isRedisOutOfMemoryError(error)) alertOps(); }
 */
export class RedisOutOfMemoryError extends StreamstoreError {
  constructor(options: { cause: unknown }) {
    super(
      "REDIS_OUT_OF_MEMORY",
      "[streamstore] Redis is out of memory (maxmemory reached, noeviction) and refused the append as a whole: nothing was written. Free memory or raise maxmemory, then retry the same append (it is idempotent).",
      options,
    );
  }
}

/** A streamstore Lua script answered something it never answers: a bug or a tampered script. */
export class ScriptFailedError extends StreamstoreError {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(
      "SCRIPT_FAILED",
      `[streamstore] ${reason}. Nothing partial was written (scripts check before they write); please report this with the reply shown.`,
      options,
    );
  }
}

/**
 * The prefix holds data written by a streamstore before the single-copy storage layout (a Redis
 * stream per aggregate). This version neither reads nor writes it, and refuses before touching
 * anything. Nothing has been published with that layout, so there is no migration: use a new
 * `prefix` (or delete the old keys).
 *
 * @example
 * if (isLegacyLayoutError(error)) console.log(error.prefix, error.found);
 */
export class LegacyLayoutError extends StreamstoreError {
  constructor(
    readonly prefix: string,
    readonly found: string,
  ) {
    super(
      "LEGACY_LAYOUT",
      `[streamstore] prefix "${prefix}" was written with an older storage layout (${found}), which this version does not read: use a new prefix, or delete the old keys under "${prefix}:" after exporting what you need. Nothing was read or written. See "Storage layout" in the @streamstore/core README.`,
    );
  }
}

/**
 * An append asked for `durability` was written on the primary, but fewer replicas than required
 * confirmed it within the timeout (Redis `WAIT`). The events are stored and readable; they may be
 * lost if that primary fails before its replicas catch up. Retrying the same append (same event
 * ids) is safe: it returns the first result as a duplicate and waits again.
 *
 * @example
 * if (isReplicationTimeoutError(error)) await store.append(stream, sameEvents, sameOptions);
 */
export class ReplicationTimeoutError extends StreamstoreError {
  constructor(
    readonly streamName: string,
    /** Replicas that confirmed the write. */
    readonly acknowledged: number,
    /** Replicas the append asked for. */
    readonly required: number,
    /** What the append did on the primary. */
    readonly result: AppendResult,
  ) {
    super(
      "REPLICATION_TIMEOUT",
      `[streamstore] the append to "${streamName}" is stored on the primary but only ${acknowledged} of ${required} replica(s) confirmed it in time: retry the same append (same event ids; it is idempotent) or raise durability.timeoutMs. See "Durability" in the @streamstore/core README.`,
    );
  }
}

/** @example if (isConcurrencyError(error)) console.log(error.actualVersion); */
export const isConcurrencyError = (error: unknown): error is ConcurrencyError =>
  isStreamstoreError(error, "CONCURRENCY");
/** @example if (isInvalidEventError(error)) console.log(error.issues); */
export const isInvalidEventError = (error: unknown): error is InvalidEventError =>
  isStreamstoreError(error, "INVALID_EVENT");
/** @example if (isUnknownEventTypeError(error)) console.log(error.eventType); */
export const isUnknownEventTypeError = (error: unknown): error is UnknownEventTypeError =>
  isStreamstoreError(error, "UNKNOWN_EVENT_TYPE");
/** @example if (isInvalidStreamNameError(error)) console.log(error.reason); */
export const isInvalidStreamNameError = (error: unknown): error is InvalidStreamNameError =>
  isStreamstoreError(error, "INVALID_STREAM_NAME");
/** @example if (isEventTooLargeError(error)) console.log(error.bytes); */
export const isEventTooLargeError = (error: unknown): error is EventTooLargeError =>
  isStreamstoreError(error, "EVENT_TOO_LARGE");
/** @example if (isInvalidArgumentError(error)) console.log(error.argument); */
export const isInvalidArgumentError = (error: unknown): error is InvalidArgumentError =>
  isStreamstoreError(error, "INVALID_ARGUMENT");
/** @example if (isIdempotencyConflictError(error)) console.log(error.eventId); */
export const isIdempotencyConflictError = (error: unknown): error is IdempotencyConflictError =>
  isStreamstoreError(error, "IDEMPOTENCY_CONFLICT");
/** @example if (isCorruptEventError(error)) console.log(error.streamName, error.version); */
export const isCorruptEventError = (error: unknown): error is CorruptEventError =>
  isStreamstoreError(error, "CORRUPT_EVENT");
/** @example if (isLegacyLayoutError(error)) console.log(error.prefix); */
export const isLegacyLayoutError = (error: unknown): error is LegacyLayoutError =>
  isStreamstoreError(error, "LEGACY_LAYOUT");
/** @example if (isPartitionCountMismatchError(error)) console.log(error.recorded); */
export const isPartitionCountMismatchError = (
  error: unknown,
): error is PartitionCountMismatchError => isStreamstoreError(error, "PARTITION_COUNT_MISMATCH");
/** @example if (isUnsafeServerConfigError(error)) console.log(error.setting); */
export const isUnsafeServerConfigError = (error: unknown): error is UnsafeServerConfigError =>
  isStreamstoreError(error, "UNSAFE_SERVER_CONFIG");
/** @example if (isReplicationTimeoutError(error)) console.log(error.acknowledged); */
export const isReplicationTimeoutError = (error: unknown): error is ReplicationTimeoutError =>
  isStreamstoreError(error, "REPLICATION_TIMEOUT");
/** @example if (isRedisOutOfMemoryError(error)) console.log(error.cause); */
export const isRedisOutOfMemoryError = (error: unknown): error is RedisOutOfMemoryError =>
  isStreamstoreError(error, "REDIS_OUT_OF_MEMORY");

/**
 * The archive (the cold tier) cannot be reached: PostgreSQL refused or dropped the connection, or
 * did not answer in time. Nothing was written to it by the failed call; retrying later is safe
 * (archive writes are idempotent). `target` names the server with any password masked.
 *
 * @example
 * if (isArchiveUnavailableError(error)) console.log(error.target, error.reason);
 */
export class ArchiveUnavailableError extends StreamstoreError {
  constructor(
    /** Where the archive was looked for, e.g. `postgres://app:***@db:5432/events` (password masked). */
    readonly target: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      "ARCHIVE_UNAVAILABLE",
      `[streamstore] the archive at ${target} is unavailable (${reason}): check that the server runs and accepts this connection; the call stored nothing and is safe to retry. See "Operating the archive" in the @streamstore/archive README.`,
      options,
    );
  }
}

/**
 * The archive's storage was made by another archive schema version than this code reads and
 * writes (or is otherwise unusable as it is). Nothing was read or written.
 *
 * @example
 * if (isArchiveSchemaError(error)) console.log(error.foundVersion, error.expectedVersion);
 */
export class ArchiveSchemaError extends StreamstoreError {
  constructor(
    /** The archive's table, `<schema>.<table>`. */
    readonly table: string,
    /** The archive schema version the storage records; undefined when the problem is another one. */
    readonly foundVersion: number | undefined,
    /** The archive schema version this code reads and writes. */
    readonly expectedVersion: number,
    /** What is wrong and what to do, one sentence. */
    readonly reason: string,
  ) {
    super(
      "ARCHIVE_SCHEMA",
      `[streamstore] the archive ${table} ${reason}; nothing was read or written. See "Schema versions" in the @streamstore/archive README.`,
    );
  }
}

/**
 * An archive write held an event whose (stream, version) the archive already holds at another
 * position (or twice in the same write): the archive and the store's Redis disagree, e.g. two
 * stores sharing one archive table, or a prefix reset while its archive was kept. Nothing of
 * that write was stored.
 *
 * @example
 * if (isArchiveConflictError(error)) console.log(error.streamName, error.version);
 */
export class ArchiveConflictError extends StreamstoreError {
  constructor(
    readonly streamName: string,
    readonly version: number,
    /** The position the archive already holds this version at; undefined when both were in the write. */
    readonly storedPosition: string | undefined,
    /** The position the refused write gave it. */
    readonly position: string,
  ) {
    super(
      "ARCHIVE_CONFLICT",
      `[streamstore] the archive ${storedPosition === undefined ? "was asked to store" : `already holds`} version ${version} of "${streamName}" ${storedPosition === undefined ? "at two positions" : `at position ${storedPosition}`}, and this write puts it at ${position}: the archive and the store disagree (two stores sharing one archive table, or a prefix reset while its archive was kept). Nothing of this write was stored; give each store its own archive (see "One archive per store" in the @streamstore/archive README).`,
    );
  }
}

/** @example if (isArchiveUnavailableError(error)) console.log(error.target); */
export const isArchiveUnavailableError = (error: unknown): error is ArchiveUnavailableError =>
  isStreamstoreError(error, "ARCHIVE_UNAVAILABLE");
/** @example if (isArchiveSchemaError(error)) console.log(error.foundVersion); */
export const isArchiveSchemaError = (error: unknown): error is ArchiveSchemaError =>
  isStreamstoreError(error, "ARCHIVE_SCHEMA");
/** @example if (isArchiveConflictError(error)) console.log(error.storedPosition); */
export const isArchiveConflictError = (error: unknown): error is ArchiveConflictError =>
  isStreamstoreError(error, "ARCHIVE_CONFLICT");
