/**
 * Every error streamstore throws has one of these stable codes. Match on `code` (or the
 * `isXxxError` guards), never on message text: messages may be reworded, codes never.
 */
export type StreamstoreErrorCode =
  | "CONCURRENCY"
  | "INVALID_EVENT"
  | "UNKNOWN_EVENT_TYPE"
  | "INVALID_STREAM_NAME"
  | "EVENT_TOO_LARGE"
  | "INVALID_ARGUMENT"
  | "IDEMPOTENCY_CONFLICT"
  | "CORRUPT_EVENT"
  | "PARTITION_COUNT_MISMATCH"
  | "UNSAFE_SERVER_CONFIG"
  | "SCRIPT_FAILED"
  | "REPLICATION_TIMEOUT"
  | "PROJECTION_FENCED"
  | "CORRUPT_CHECKPOINT"
  | "REDIS_OUT_OF_MEMORY"
  | "CHECKPOINT_CONFLICT"
  | "HANDLER_FAILED"
  | "CATCH_UP_TIMEOUT"
  | "DEAD_LETTER_NOT_FOUND"
  | "LEGACY_LAYOUT"
  | "ARCHIVE_REQUIRED"
  | "ARCHIVE_UNAVAILABLE"
  | "ARCHIVE_SCHEMA"
  | "ARCHIVE_CONFLICT"
  | "MISSING_DATA_SUBJECT"
  | "INVALID_DATA_SUBJECT"
  | "SUBJECT_FORGOTTEN"
  | "CORRUPT_CATEGORY_REGISTRY"
  | "FUNCTIONS_NOT_LOADED"
  | "INVALID_REDIS_URL"
  | "REDIS_UNAVAILABLE"
  | "REDIS_AUTH";

// A registry symbol, not a class identity: two copies of @streamstore/core in one process (a
// common result of duplicated node_modules) must still recognise each other's errors, the way
// tRPC's `TRPCError` checks are done by name.
const MARK = Symbol.for("@streamstore/error");

/**
 * Base class of every streamstore error. `message` starts with `[streamstore]` and says what to
 * do next; `code` is stable.
 *
 * @example
 * try { await store.append("cart-1", events, { expectedVersion: 3 }); }
 * catch (error) { if (isStreamstoreError(error)) console.log(error.code); }
 */
export class StreamstoreError extends Error {
  readonly code: StreamstoreErrorCode;
  readonly [MARK] = true;

  constructor(code: StreamstoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message.startsWith("[streamstore]") ? message : `[streamstore] ${message}`, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * Whether `error` is a streamstore error (of any code, or of the given code), also when it was
 * thrown by another copy of the package.
 *
 * @example
 * if (isStreamstoreError(error, "CONCURRENCY")) retry();
 */
export function isStreamstoreError(
  error: unknown,
  code?: StreamstoreErrorCode,
): error is StreamstoreError {
  if (typeof error !== "object" || error === null) return false;
  if ((error as { [MARK]?: unknown })[MARK] !== true) return false;
  return code === undefined || (error as StreamstoreError).code === code;
}
