import type { RawStreamEntry } from "@streamstore/core";
import { sleep, subjectsOfEntries } from "@streamstore/core/internal";
import { backoffMs } from "../consumer/backoff.js";
import {
  CheckpointConflictError,
  errorText,
  ProjectionFencedError,
  ProjectionHandlerError,
} from "../errors.js";
import type {
  Checkpoint,
  DeadLetterRecord,
  DocumentWrite,
  StoredDocument,
} from "../readModel/ReadModelStore.js";
import type { PartitionInstrumentation } from "../telemetry/partitionInstrumentation.js";
import {
  type BatchFailure,
  type BatchSource,
  type DecodedBatch,
  deadLetterOf,
  decodeBatch,
  documentWrites,
  foldBatch,
} from "./foldBatch.js";
import type { PartitionWorkerContext } from "./PartitionWorkerContext.js";
import { pairs, sendCommand } from "./redisCommands.js";

/** Thrown by a commit whose tailed batch does not follow the last applied entry. */
export const GAP = Symbol("gap");

/** What the committer of a partition needs from its worker. */
export interface CommitterHost {
  readonly context: PartitionWorkerContext;
  readonly source: BatchSource;
  /** The lease's fence token, checked by every commit. */
  readonly token: number;
  /** Spans and metrics, reported at named points of the commits. */
  readonly instrumentation: PartitionInstrumentation;
  /** Aborted when the worker stops: retry delays end. */
  readonly signal: AbortSignal;
  halted(): boolean;
  leaseLost(): boolean;
  /** Tailing (else catching up), for the batch span. */
  live(): boolean;
  /** The structured fields of a log record. */
  fields(extra?: Record<string, unknown>): Record<string, unknown>;
  /** A commit succeeded: the worker's failure streak is over. */
  onCommitted(): void;
  /**
   * Called once a commit is on its way to the read model: CPU work that does not depend on the
   * commit (decoding the next page, see `prepare`) fills its round trip. The commit's reply is
   * awaited after the returned promise or, if it comes first, the reply.
   */
  whileCommitting?(): Promise<void> | undefined;
}

/**
 * Applies a partition's batches to the read model and commits them, each atomically with the
 * checkpoint and the lease's fence token: handler failures are retried or dead-lettered, a stale
 * document is reloaded and the batch applied again, each attempt reported to the partition's
 * instrumentation. The position it has committed up to is `last`.
 *
 * @example
 * const committer = new PartitionCommitter(host);
 * committer.resetTo(checkpoint);
 * await committer.processBatch(entries);
 */
export class PartitionCommitter {
  private readonly cache = new Map<string, StoredDocument>();
  private position = "0-0";
  /** Log entries gone past (the checkpoint's `applied`), for the lag after each batch. */
  private applied = 0;
  private readonly failedEntries = new Set<string>();
  /** The continuity check of the tailed batch being applied (commits wait for it). */
  private continuity: Promise<boolean> | undefined;
  /** A batch decoded ahead of its turn by `prepare`, used once when that batch comes. */
  private prepared: { entries: readonly RawStreamEntry[]; decoded: DecodedBatch } | undefined;

  constructor(private readonly host: CommitterHost) {}

  /** `<category>:<partition>`. */
  private get field(): string {
    return this.host.source.field;
  }

  /** The last committed position. */
  get last(): string {
    return this.position;
  }

  /** Starts over from a checkpoint (none: the log's start), forgetting cached documents. */
  resetTo(checkpoint: Checkpoint | undefined): void {
    this.position = checkpoint?.position ?? "0-0";
    this.applied = checkpoint?.applied ?? 0;
    this.cache.clear();
    this.prepared = undefined;
  }

  /**
   * Decodes a batch before its turn (pure CPU work: its events do not depend on what is
   * committed before it), so that `processBatch(entries)` with the same array starts folding at
   * once. Not for a catalog with personal data: its keys are loaded when the batch's turn comes.
   */
  prepare(entries: readonly RawStreamEntry[]): void {
    if (this.host.source.keyRing || this.prepared?.entries === entries) return;
    this.prepared = { entries, decoded: decodeBatch(this.host.source, entries) };
  }

  /**
   * Applies entries in order, committing as it goes; handler failures are retried or
   * dead-lettered. With `continuity` (a tailed batch), the first commit waits for it and throws
   * GAP if it is false.
   */
  async processBatch(
    entries: readonly RawStreamEntry[],
    continuity?: Promise<boolean>,
  ): Promise<void> {
    this.continuity = continuity;
    try {
      await this.applyInOrder(entries);
    } finally {
      this.continuity = undefined;
    }
  }

  private async applyInOrder(entries: readonly RawStreamEntry[]): Promise<void> {
    const { options, readModel, build, projection } = this.host.context;
    let rest = entries;
    while (rest.length > 0 && !this.host.leaseLost()) {
      const batch = rest;
      const failure = await this.traced(() => this.applyAndCommit(batch));
      if (failure === undefined) return;
      const entry = rest[failure.index] as RawStreamEntry;
      const attemptKey = `${this.field}:${entry[0]}`;
      const attempts = await readModel.recordAttempt(build, attemptKey);
      this.failedEntries.add(entry[0]);
      if (attempts >= options.maxDeliveries) {
        if (options.onHandlerFailure === "stop") {
          throw new ProjectionHandlerError(projection.name, this.field, entry[0], attempts, {
            cause: failure.error,
          });
        }
        this.host.context.logger.error(
          this.host.fields({ entryId: entry[0], attempts, error: errorText(failure.error) }),
          `[streamstore] projection "${projection.name}" partition ${this.field}: entry ${entry[0]} failed ${attempts} time(s); moved to the dead-letter stream (retry it with deadLetters.retry after a fix).`,
        );
        await this.traced(async () => {
          await this.commitOrThrow(
            [entry],
            [],
            [deadLetterOf(this.field, entry, "handler", attempts, failure.error)],
          );
          return undefined;
        });
        rest = rest.slice(failure.index + 1);
      } else {
        const delay = backoffMs(options.retryBackoffMs, options.retryBackoffMaxMs, attempts - 1);
        await sleep(delay, this.host.signal);
        if (this.host.halted()) return;
        this.host.instrumentation.redelivered(1, "retry");
        rest = rest.slice(failure.index);
      }
    }
  }

  /** Runs one batch attempt as the instrumentation's batch (a span, when traced). */
  private traced(
    attempt: () => Promise<BatchFailure | undefined>,
  ): Promise<BatchFailure | undefined> {
    return this.host.instrumentation.batch(this.host.live() ? "live" : "catch-up", attempt);
  }

  /**
   * Applies entries until one's handler throws, and commits what was applied. Returns the failing
   * entry's index (nothing after it is committed), or undefined when all were committed.
   */
  private async applyAndCommit(
    entries: readonly RawStreamEntry[],
  ): Promise<BatchFailure | undefined> {
    const { readModel, build } = this.host.context;
    // decodeEntry is synchronous: the keys of the batch's data subjects are loaded first.
    if (this.host.source.keyRing) await this.host.source.keyRing.load(subjectsOfEntries(entries));
    for (;;) {
      // Decoded afresh after a stale document (a handler may have changed the events it saw).
      const prepared = this.prepared?.entries === entries ? this.prepared.decoded : undefined;
      this.prepared = undefined;
      const decoded = prepared ?? decodeBatch(this.host.source, entries);
      const missing = new Set<string>();
      for (const key of decoded.keys)
        if (key !== undefined && !this.cache.has(key)) missing.add(key);
      if (missing.size > 0) {
        const wanted = [...missing];
        this.rememberAll(wanted, await readModel.loadDocuments(build, wanted));
      }
      const { working, failure } = foldBatch(this.host.source, decoded, (key) =>
        this.cache.get(key),
      );
      const end = failure?.index ?? entries.length;
      if (end === 0) return failure;
      const applied = end === entries.length ? entries : entries.slice(0, end);
      const outcome = await this.commit(
        applied,
        documentWrites(working),
        deadLettersUpTo(decoded.deadLetters, applied),
      );
      if (outcome === "ok") return failure;
      // Another partition's owner wrote one of these documents: reload and apply again.
    }
  }

  private rememberAll(
    keys: readonly string[],
    documents: readonly (StoredDocument | undefined)[],
  ): void {
    if (this.cache.size + keys.length > this.host.context.options.documentCacheSize)
      this.cache.clear();
    keys.forEach((key, index) => {
      const document = documents[index];
      if (document) this.cache.set(key, document);
      else this.cache.delete(key);
    });
  }

  private async commitOrThrow(
    entries: readonly RawStreamEntry[],
    documents: DocumentWrite[],
    deadLetters: DeadLetterRecord[],
  ): Promise<void> {
    while ((await this.commit(entries, documents, deadLetters)) !== "ok") {
      // Only documents can be stale, and a dead-letter-only commit has none.
    }
  }

  private entriesAdded(): Promise<number | undefined> {
    return sendCommand(this.host.context.redis, "xinfo", "STREAM", this.host.source.logKey).then(
      entriesAddedOf,
      () => undefined,
    );
  }

  private async commit(
    entries: readonly RawStreamEntry[],
    documents: DocumentWrite[],
    deadLetters: DeadLetterRecord[],
  ): Promise<"ok" | "revision"> {
    const { readModel, build, projection } = this.host.context;
    if (this.continuity && !(await this.continuity)) throw GAP;
    const position = (entries[entries.length - 1] as RawStreamEntry)[0];
    const clearAttempts: string[] = [];
    for (let i = 0; this.failedEntries.size > 0 && i < entries.length; i++) {
      const entryId = (entries[i] as RawStreamEntry)[0];
      if (this.failedEntries.has(entryId)) clearAttempts.push(`${this.field}:${entryId}`);
    }
    const committing = readModel.commit({
      build,
      partition: this.field,
      fenceToken: this.host.token,
      expectedPosition: this.position,
      position,
      appliedDelta: entries.length,
      documents,
      deadLetters,
      clearAttempts,
    });
    // The lag after the batch, only when someone looks (a span or the lag gauge): XINFO is sent
    // right behind the commit on the same connection, so it costs no extra round trip.
    const addedEntries = this.host.instrumentation.wantsLag() ? this.entriesAdded() : undefined;
    const aside = this.host.whileCommitting?.();
    if (aside) await Promise.race([aside, committing]);
    const outcome = await committing;
    switch (outcome.status) {
      case "ok": {
        this.position = position;
        this.applied += entries.length;
        // Telemetry off: no XINFO was sent, and nothing is awaited for it.
        const added = addedEntries && (await addedEntries);
        const lag = added === undefined ? undefined : Math.max(0, added - this.applied);
        this.host.instrumentation.committed(
          entries.length,
          deadLetters.map((letter) => letter.reason),
          lag,
        );
        this.host.onCommitted();
        if (clearAttempts.length > 0)
          for (const entry of entries) this.failedEntries.delete(entry[0]);
        if (this.cache.size + documents.length > this.host.context.options.documentCacheSize)
          this.cache.clear();
        for (const document of documents) {
          this.cache.set(document.key, {
            revision: document.expectedRevision + 1,
            state: document.state,
          });
        }
        this.host.context.onCommit?.({
          partition: this.field,
          position,
          entryIds: entries.map((entry) => entry[0]),
          deadLetters: deadLetters.length,
        });
        return "ok";
      }
      case "fenced":
        throw new ProjectionFencedError(
          projection.name,
          this.field,
          this.host.token,
          outcome.currentToken,
        );
      case "checkpoint":
        throw new CheckpointConflictError(
          projection.name,
          this.field,
          this.position,
          outcome.actual,
        );
      case "revision":
        for (const key of outcome.staleKeys) this.cache.delete(key);
        return "revision";
    }
  }
}

/** The dead letters of the entries among `applied` (decoding parks corrupt ones of the batch). */
function deadLettersUpTo(
  deadLetters: DeadLetterRecord[],
  applied: readonly RawStreamEntry[],
): DeadLetterRecord[] {
  if (deadLetters.length === 0) return deadLetters;
  const appliedIds = new Set(applied.map((entry) => entry[0]));
  return deadLetters.filter((letter) => appliedIds.has(letter.entryId));
}

/** XINFO STREAM's `entries-added` (every entry ever added to the log), or undefined. */
function entriesAddedOf(reply: unknown): number | undefined {
  const added = Number(pairs(reply).get("entries-added"));
  return Number.isFinite(added) ? added : undefined;
}
