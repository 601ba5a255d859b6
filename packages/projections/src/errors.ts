import { isStreamstoreError, StreamstoreError } from "@streamstore/core";

/**
 * A commit carried a fence token older than the partition's current one: another worker took the
 * partition's lease since this worker did (this worker is a zombie). Nothing was written.
 *
 * @example
 * if (isProjectionFencedError(error)) console.log(error.partition, error.currentToken);
 */
export class ProjectionFencedError extends StreamstoreError {
  constructor(
    readonly projection: string,
    /** `<category>:<partition>` */
    readonly partition: string,
    readonly token: number,
    readonly currentToken: number,
  ) {
    super(
      "PROJECTION_FENCED",
      `[streamstore] projection "${projection}" partition ${partition}: fence token ${token} is stale (current ${currentToken}), another worker owns the partition now. Nothing was written; this worker drops the partition by itself. If this repeats, raise leaseTtlMs or check for paused processes.`,
    );
  }
}

/**
 * A commit expected the checkpoint at one position and found another: the batch does not follow
 * the last committed one. Nothing was written; the runner reloads and resumes from the checkpoint.
 *
 * @example
 * if (isCheckpointConflictError(error)) console.log(error.expected, error.actual);
 */
export class CheckpointConflictError extends StreamstoreError {
  constructor(
    readonly projection: string,
    readonly partition: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      "CHECKPOINT_CONFLICT",
      `[streamstore] projection "${projection}" partition ${partition}: the checkpoint is at ${actual}, the commit expected ${expected}. Nothing was written; the runner resumes from the checkpoint by itself. Two runners without leases on one build cause this: run projections only through startProjection.`,
    );
  }
}

/**
 * A projection checkpoint in Redis is not `<position>|<applied count>` (a hand edit, or a key
 * written by something else). The partition stops instead of looping on a checkpoint it cannot
 * trust.
 *
 * @example
 * runner.done.catch((error) => { if (isCorruptCheckpointError(error)) console.log(error.stored); });
 */
export class CorruptCheckpointError extends StreamstoreError {
  constructor(readonly stored: string) {
    super(
      "CORRUPT_CHECKPOINT",
      `[streamstore] a projection checkpoint reads ${JSON.stringify(stored.length > 80 ? `${stored.slice(0, 80)}…` : stored)}, not "<position>|<applied count>": restore it, or delete the checkpoint field (HDEL) to replay that partition from the start, then restart the runner.`,
    );
  }
}

/** @example if (isCorruptCheckpointError(error)) console.log(error.stored); */
export const isCorruptCheckpointError = (error: unknown): error is CorruptCheckpointError =>
  isStreamstoreError(error, "CORRUPT_CHECKPOINT");

/**
 * A projection handler kept throwing on one event and the failure policy is `"stop"`: the
 * partition stopped before the event; its checkpoint did not move.
 *
 * @example
 * runner.done.catch((error) => { if (isProjectionHandlerError(error)) console.log(error.entryId); });
 */
export class ProjectionHandlerError extends StreamstoreError {
  constructor(
    readonly projection: string,
    readonly partition: string,
    readonly entryId: string,
    readonly attempts: number,
    options: { cause: unknown },
  ) {
    super(
      "HANDLER_FAILED",
      `[streamstore] projection "${projection}" partition ${partition}: the handler failed ${attempts} time(s) on entry ${entryId} (${errorText(options.cause)}). Fix the handler and restart the runner, or use onHandlerFailure: "dead-letter" to park such events and go on.`,
      options,
    );
  }
}

/**
 * `waitUntilCaughtUp` did not see the projection reach the position in time.
 *
 * @example
 * if (isCatchUpTimeoutError(error)) console.log(error.partition, error.checkpoint);
 */
export class CatchUpTimeoutError extends StreamstoreError {
  constructor(
    readonly projection: string,
    readonly partition: string,
    readonly target: string,
    readonly checkpoint: string,
    readonly timeoutMs: number,
  ) {
    super(
      "CATCH_UP_TIMEOUT",
      `[streamstore] projection "${projection}" partition ${partition} is at ${checkpoint}, not yet at ${target}, after ${timeoutMs} ms: check that a runner is started (getProjectionStatus shows its state and dead letters), or pass a larger timeoutMs.`,
    );
  }
}

/**
 * A dead letter to retry or discard is not (or no longer) in the dead-letter stream of a
 * projection or a reactor (`owner` says which; `name` is its name).
 *
 * @example
 * if (isDeadLetterNotFoundError(error)) console.log(error.owner, error.name, error.deadLetterId);
 */
export class DeadLetterNotFoundError extends StreamstoreError {
  constructor(
    readonly ownerName: string,
    readonly deadLetterId: string,
    readonly owner: "projection" | "reactor" = "projection",
  ) {
    super(
      "DEAD_LETTER_NOT_FOUND",
      `[streamstore] ${owner} "${ownerName}" has no dead letter ${deadLetterId}: it was retried or discarded already. List the current ones with deadLetters.list() (or "streamstore dlq list ${ownerName}").`,
    );
  }
}

/** @example if (isProjectionFencedError(error)) console.log(error.currentToken); */
export const isProjectionFencedError = (error: unknown): error is ProjectionFencedError =>
  isStreamstoreError(error, "PROJECTION_FENCED");
/** @example if (isCheckpointConflictError(error)) console.log(error.actual); */
export const isCheckpointConflictError = (error: unknown): error is CheckpointConflictError =>
  isStreamstoreError(error, "CHECKPOINT_CONFLICT");
/** @example if (isProjectionHandlerError(error)) console.log(error.entryId); */
export const isProjectionHandlerError = (error: unknown): error is ProjectionHandlerError =>
  isStreamstoreError(error, "HANDLER_FAILED");
/** @example if (isCatchUpTimeoutError(error)) console.log(error.target); */
export const isCatchUpTimeoutError = (error: unknown): error is CatchUpTimeoutError =>
  isStreamstoreError(error, "CATCH_UP_TIMEOUT");
/** @example if (isDeadLetterNotFoundError(error)) console.log(error.deadLetterId); */
export const isDeadLetterNotFoundError = (error: unknown): error is DeadLetterNotFoundError =>
  isStreamstoreError(error, "DEAD_LETTER_NOT_FOUND");

/**
 * The message of anything thrown, for logs and dead letters.
 *
 * @example
 * errorText(new Error("boom")); // "Error: boom"
 */
export function errorText(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
