import {
  compareStreamIds,
  describeRedisClient,
  type EventArchive,
  type EventCatalog,
  failSpan,
  type KeyLayout,
  type KeyRing,
  type Logger,
  type RawStreamEntry,
  SPAN_KIND_CONSUMER,
  subjectsOfEntries,
  type TelemetryAttributes,
} from "@streamstore/core";
import { describeRedisFailure, readPartitionAfter, sleep } from "@streamstore/core/internal";
import type { Cluster, Redis } from "ioredis";
import { backoffMs, FailureStreak } from "../consumer/backoff.js";
import { ConsumerGroupReader } from "../consumer/ConsumerGroupReader.js";
import {
  CheckpointConflictError,
  errorText,
  isCorruptCheckpointError,
  isProjectionFencedError,
  isProjectionHandlerError,
  ProjectionFencedError,
  ProjectionHandlerError,
} from "../errors.js";
import type { ProjectionKeys } from "../keys/projectionKeys.js";
import type { Projection } from "../projection/defineProjection.js";
import type {
  DeadLetterRecord,
  DocumentWrite,
  ReadModelStore,
  StoredDocument,
} from "../readModel/ReadModelStore.js";
import type { ProjectionsTelemetry } from "../telemetry/projectionsTelemetry.js";
import {
  type BatchFailure,
  type BatchSource,
  deadLetterOf,
  decodeBatch,
  documentWrites,
  foldBatch,
} from "./foldBatch.js";
import type { CommitInfo, ResolvedRunnerOptions } from "./ProjectionRunnerOptions.js";
import { pairs, sendCommand } from "./redisCommands.js";

/**
 * The state of one owned partition; changed only in `PartitionWorker.setState`.
 *
 * @example
 * for (const owned of runner.ownedPartitions()) if (owned.state === "live") console.log(owned.partition);
 */
export type PartitionState =
  | "starting"
  | "catching-up"
  | "live"
  /** Redis is unreachable (or refuses the credentials): retrying with backoff. */
  | "reconnecting"
  | "stopped"
  | "failed";

/**
 * What a partition worker shares with its runner.
 *
 * @example
 * new PartitionWorker(context, "account", 0, token, performance.now() + 3000);
 */
export interface PartitionWorkerContext {
  projection: Projection<EventCatalog, unknown>;
  build: string;
  redis: Redis | Cluster;
  /** The event store's keys: each source partition's log and archive seam. */
  storeKeys: KeyLayout;
  /** Where entries the archiver trimmed from the logs are read from; undefined: none given. */
  archive: EventArchive | undefined;
  /** The store's personal-data keys: personal fields are decrypted with them (docs/personal-data.md). */
  personalData: KeyRing | undefined;
  readModel: ReadModelStore;
  keys: ProjectionKeys;
  workerId: string;
  options: ResolvedRunnerOptions;
  logger: Logger;
  onCommit: ((info: CommitInfo) => void) | undefined;
  /** Spans and metrics; both off (one check per batch) without an OpenTelemetry provider. */
  telemetry: ProjectionsTelemetry;
  /** The failure policy stopped this partition (the runner fails). */
  onFailed: (error: unknown) => void;
}

/** What the commits of one traced batch did, for its span. */
interface BatchRecord {
  size: number;
  deadLetters: number;
  lag: number | undefined;
}

const RESTART = Symbol("restart");
const GAP = Symbol("gap");

/**
 * Runs one owned partition log of a projection build: claim → catch-up → tail, committing each
 * batch atomically with the checkpoint and the lease's fence token. See
 * docs/delivery-guarantees.md for why this gives each event exactly one effect.
 *
 * @example
 * const worker = new PartitionWorker(context, "cart", 0, token, performance.now() + 3000);
 * worker.requestStop(); await worker.done;
 */
export class PartitionWorker {
  readonly field: string;
  readonly logKey: string;
  /** Local monotonic time (performance.now) until which the lease is surely ours. */
  leaseValidUntil: number;
  private state: PartitionState = "starting";
  private stopRequested = false;
  private leaseLost = false;
  private readonly halt = new AbortController();
  /** This partition log's consumer group: claims, tailing reads, acks. */
  private readonly reader: ConsumerGroupReader;
  private readonly cache = new Map<string, StoredDocument>();
  private last = "0-0";
  /** Log entries gone past (the checkpoint's `applied`), for the lag after each batch. */
  private applied = 0;
  /** The batch being traced, while its span is open. */
  private batch: BatchRecord | undefined;
  /** Low-cardinality attributes of this partition's metrics and spans. */
  private readonly attributes: TelemetryAttributes;
  /** Sessions that failed in a row without a commit in between (for the retry backoff). */
  private readonly failures: FailureStreak;
  /** The error of the failure streak under way; undefined once a commit succeeded. */
  private lastFailure: string | undefined;
  private readonly failedEntries = new Set<string>();
  /** The continuity check of the tailed batch being applied (commits wait for it). */
  private continuity: Promise<boolean> | undefined;
  private readonly group: string;
  /** This partition log, for decoding and folding its batches. */
  private readonly source: BatchSource;
  readonly done: Promise<void>;

  constructor(
    private readonly context: PartitionWorkerContext,
    readonly category: string,
    readonly partition: number,
    readonly token: number,
    leaseValidUntil: number,
  ) {
    this.field = `${category}:${partition}`;
    this.logKey = context.storeKeys.log(category, partition);
    this.leaseValidUntil = leaseValidUntil;
    this.group = context.keys.group(context.build);
    this.source = {
      projection: context.projection,
      keyRing: context.projection.catalog.hasPersonalData ? context.personalData : undefined,
      logKey: this.logKey,
      category,
      partition,
      field: this.field,
    };
    // A read queued or resent past the lease could take entries after a new owner set the
    // group's position: the reader's blocking connection never queues nor resends.
    this.reader = new ConsumerGroupReader({
      redis: context.redis,
      logKey: this.logKey,
      group: this.group,
      consumer: context.workerId,
      connectionName: `ss-rm-${context.projection.name}-${context.workerId}`,
      signal: this.halt.signal,
      onConnectionWait: () => this.noteRedisAway(),
    });
    // Doubling up to the runner's own retry period (heartbeatMs).
    this.failures = new FailureStreak(
      context.options.reconnectDelayMs,
      context.options.heartbeatMs,
    );
    this.attributes = {
      "streamstore.projection.name": context.projection.name,
      "streamstore.projection.build": context.build,
      "streamstore.category": category,
      "streamstore.partition": partition,
    };
    this.done = this.run();
  }

  /** The partition's current state. */
  get currentState(): PartitionState {
    return this.state;
  }

  /** What made it retry last, until the next commit succeeds; undefined while healthy. */
  get lastError(): string | undefined {
    return this.lastFailure;
  }

  /** Stops after the in-flight batch is committed (the lease is released by the runner). */
  requestStop(): void {
    this.stopRequested = true;
    this.halt.abort();
  }

  /** The lease is gone: stop at once; an uncommitted batch is abandoned (its commit would be fenced). */
  loseLease(): void {
    this.leaseLost = true;
    this.halt.abort();
    this.reader.close();
  }

  /** The structured fields of every record this partition logs. */
  private fields(extra: Record<string, unknown> = {}): Record<string, unknown> {
    const { projection, build, workerId } = this.context;
    return {
      projection: projection.name,
      build,
      partition: this.field,
      worker: workerId,
      ...extra,
    };
  }

  private get halted(): boolean {
    return this.stopRequested || this.leaseLost;
  }

  private setState(next: PartitionState): void {
    const previous = this.state;
    if (previous === next) return;
    this.state = next;
    const { logger, projection } = this.context;
    logger.info(
      this.fields({ from: previous, to: next }),
      `[streamstore] projection "${projection.name}" partition ${this.field}: ${previous} -> ${next}`,
    );
    this.publishState();
  }

  /**
   * Writes this partition's state for getProjectionStatus. Best effort: a lost write only makes
   * the status older. The runner calls it again after every lease renewal, so a stale record (a
   * lost write, or a late write by a zombie that has just lost the lease) is corrected within a
   * heartbeat instead of standing until the next state change.
   */
  publishState(): void {
    const { workerId, keys, redis, build } = this.context;
    sendCommand(
      redis,
      "hset",
      keys.states(build),
      this.field,
      `${this.state}|${workerId}|${Date.now()}`,
    ).catch(() => {});
  }

  private async run(): Promise<void> {
    const { logger, projection } = this.context;
    while (!this.halted) {
      try {
        await this.session();
      } catch (error) {
        if (isProjectionFencedError(error)) {
          logger.warn(this.fields({ error: error.message }), error.message);
          this.leaseLost = true;
          break;
        }
        // Retrying cannot fix either: stop this partition with the error instead of looping.
        if (isProjectionHandlerError(error) || isCorruptCheckpointError(error)) {
          this.setState("failed");
          this.reader.close();
          this.context.onFailed(error);
          return;
        }
        if (this.halted) break;
        // A Redis that refuses every write (OOM under noeviction, a read-only replica) fails
        // each session at its first commit, so retrying at once would spin and log ten times a
        // second for as long as it lasts (issue 8): back off, doubling up to the runner's own
        // retry period (heartbeatMs), and warn once per streak. A commit resets the streak.
        const failure = describeRedisFailure(error, this.context.redis);
        this.lastFailure = failure.text;
        const { delayMs, warn, failuresInARow } = this.failures.fail(performance.now());
        if (warn) {
          logger.warn(
            this.fields({ error: failure.text, retryInMs: delayMs, failuresInARow }),
            `[streamstore] projection "${projection.name}" partition ${this.field}: ${failure.text}; resuming from the checkpoint in ${delayMs} ms${failuresInARow > 1 ? ` (failure ${failuresInARow} in a row)` : ""}.`,
          );
        }
        this.setState(failure.kind === undefined ? "catching-up" : "reconnecting");
        await sleep(delayMs, this.halt.signal);
      }
    }
    this.reader.close();
    this.setState("stopped");
    this.context.telemetry.lags.delete(this.lagKey);
  }

  private get lagKey(): string {
    return `${this.context.build}|${this.field}`;
  }

  /**
   * A live partition that waits (for its lease to be renewed, for its connection) while the
   * runner's client is not ready says so: `reconnecting`, with where Redis is, rather than
   * looking live through an outage.
   */
  private noteRedisAway(): void {
    const { redis } = this.context;
    const status = (redis as { status?: string }).status;
    if (status === undefined || status === "ready" || this.state === "reconnecting") return;
    this.lastFailure ??= `Redis at ${describeRedisClient(redis)} is unavailable (connection ${status})`;
    this.setState("reconnecting");
  }

  /** One pass from the checkpoint: claim, catch up, tail. Returns to restart (after a gap). */
  private async session(): Promise<void> {
    for (;;) {
      const { readModel, build } = this.context;
      const checkpoint = (await readModel.readCheckpoints(build)).get(this.field);
      this.last = checkpoint?.position ?? "0-0";
      this.applied = checkpoint?.applied ?? 0;
      this.cache.clear();
      this.setState("catching-up");
      await this.reader.createGroup(this.last);
      const claimed = await this.claimPending();
      await this.catchUp();
      if (this.halted) return;
      // Claimed entries above the old checkpoint were applied by the catch-up (it reads them
      // again from the log, in order): only their PEL entries are left to clear.
      await this.reader.ack(claimed);
      await this.reader.setPosition(this.last);
      await this.reader.createConsumer();
      this.setState("live");
      this.lastFailure = undefined;
      if ((await this.tail()) !== RESTART) return;
    }
  }

  /**
   * Takes every pending entry of the group (a dead owner's, or ours from before a reconnect):
   * those at or below the checkpoint are acked now, the rest after the catch-up applied them.
   */
  private async claimPending(): Promise<string[]> {
    const above: string[] = [];
    const settled: string[] = [];
    let cursor = "0-0";
    do {
      const page = await this.reader.claimIdleIds(
        this.context.options.claimMinIdleMs,
        cursor,
        1000,
      );
      cursor = page.cursor;
      for (const id of page.claimed) {
        (compareStreamIds(id, this.last) <= 0 ? settled : above).push(id);
      }
      // Entries deleted from the log while pending: nothing to apply.
      settled.push(...page.deleted);
    } while (cursor !== "0-0");
    // Entries above the checkpoint were delivered before (to us or a dead owner) and are applied
    // again by the catch-up: redeliveries, which a healthy partition rarely has.
    if (above.length > 0) {
      this.context.telemetry.instruments()?.redeliveries.add(above.length, {
        ...this.attributes,
        "streamstore.redelivery.reason": "claimed",
      });
    }
    await this.reader.ack(settled);
    // Other consumers of this group are former owners: once they hold nothing, forget them.
    await this.reader.removeIdleConsumers();
    return above;
  }

  /**
   * Up to `count` entries of the partition after `after`, from the log or, for what the archiver
   * trimmed, from the archive: no gap and no duplicate at the seam (see readPartitionAfter).
   */
  private readAfter(after: string, count: number): Promise<RawStreamEntry[]> {
    const { redis, archive, storeKeys } = this.context;
    return readPartitionAfter(
      redis,
      archive,
      storeKeys,
      this.category,
      this.partition,
      after,
      count,
    );
  }

  private async catchUp(): Promise<void> {
    const { options } = this.context;
    // The next page is fetched while this one is applied: Redis I/O overlaps handler CPU.
    let next = this.readAfter(this.last, options.batchSize);
    while (!this.halted) {
      const page = await next;
      if (page.length === 0) return;
      const lastId = (page[page.length - 1] as RawStreamEntry)[0];
      next = this.readAfter(lastId, options.batchSize);
      next.catch(() => {});
      await this.processBatch(page);
    }
  }

  private async tail(): Promise<typeof RESTART | undefined> {
    const { options } = this.context;
    while (!this.halted) {
      // Zombie safety: never leave a read in flight past the lease (a slow or paused process
      // would otherwise take entries after a new owner set the group's position).
      if (this.leaseValidUntil - performance.now() < options.blockMs + options.leaseMarginMs) {
        this.noteRedisAway();
        await sleep(Math.min(50, options.heartbeatMs), this.halt.signal);
        continue;
      }
      if (!(await this.reader.connected())) return undefined;
      if (this.state === "reconnecting") {
        this.lastFailure = undefined;
        this.setState("live");
      }
      const entries = await this.reader.readNew(options.batchSize, options.blockMs);
      if (entries.length === 0) continue;
      const old: string[] = [];
      const fresh: RawStreamEntry[] = [];
      for (const entry of entries) {
        if (compareStreamIds(entry[0], this.last) <= 0) old.push(entry[0]);
        else fresh.push(entry);
      }
      await this.reader.ack(old);
      if (fresh.length === 0) continue;
      // Continuity: the batch must start right after the last applied entry. Anything between
      // went to another consumer (a zombie's read), or was archived and trimmed before the group
      // delivered it (an archiver that does not respect consumer groups): claim and catch up
      // again, through the archive if need be. The check reads through the archive too, so it
      // sees such a gap. It runs while the handlers do; the first commit of the batch waits for it.
      const expected = fresh[0]?.[0];
      const after = this.last;
      this.continuity = this.readAfter(after, 1).then(([following]) => {
        if (following?.[0] === expected) return true;
        this.context.logger.warn(
          this.fields({ after, got: expected, expected: following?.[0] }),
          `[streamstore] projection "${this.context.projection.name}" partition ${this.field}: gap after ${after}; claiming and catching up again.`,
        );
        return false;
      });
      this.continuity.catch(() => {});
      try {
        await this.processBatch(fresh);
      } catch (error) {
        if (error === GAP) return RESTART;
        throw error;
      } finally {
        this.continuity = undefined;
      }
      await this.reader.ack(
        fresh
          .filter((entry) => compareStreamIds(entry[0], this.last) <= 0)
          .map((entry) => entry[0]),
      );
    }
    return undefined;
  }

  /** Applies entries in order, committing as it goes; handler failures are retried or dead-lettered. */
  private async processBatch(entries: readonly RawStreamEntry[]): Promise<void> {
    const { options, readModel, build, projection } = this.context;
    let rest = entries;
    while (rest.length > 0 && !this.leaseLost) {
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
        this.context.logger.error(
          this.fields({ entryId: entry[0], attempts, error: errorText(failure.error) }),
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
        await sleep(delay, this.halt.signal);
        if (this.halted) return;
        this.context.telemetry
          .instruments()
          ?.redeliveries.add(1, { ...this.attributes, "streamstore.redelivery.reason": "retry" });
        rest = rest.slice(failure.index);
      }
    }
  }

  /**
   * Runs one batch attempt in a `streamstore.projection.batch` span (when a tracer is there): what
   * its commits did is gathered in `this.batch` by `commit`, and a handler failure marks it
   * failed. The span is active, so Redis client spans (an ioredis instrumentation) nest in it.
   */
  private traced(
    attempt: () => Promise<BatchFailure | undefined>,
  ): Promise<BatchFailure | undefined> {
    const tracer = this.context.telemetry.tracer();
    if (!tracer) return attempt();
    const attributes: TelemetryAttributes = {
      ...this.attributes,
      "streamstore.projection.phase": this.state === "live" ? "live" : "catch-up",
      "streamstore.worker.id": this.context.workerId,
    };
    return tracer.startActiveSpan(
      "streamstore.projection.batch",
      { kind: SPAN_KIND_CONSUMER, attributes },
      async (span) => {
        const batch: BatchRecord = { size: 0, deadLetters: 0, lag: undefined };
        this.batch = batch;
        try {
          const failure = await attempt();
          if (failure !== undefined) failSpan(span, failure.error);
          return failure;
        } catch (error) {
          failSpan(span, error);
          throw error;
        } finally {
          this.batch = undefined;
          span.setAttributes({
            "streamstore.batch.size": batch.size,
            "streamstore.batch.dead_letters": batch.deadLetters,
          });
          if (batch.lag !== undefined) span.setAttribute("streamstore.batch.lag", batch.lag);
          span.end();
        }
      },
    );
  }

  /**
   * Applies entries until one's handler throws, and commits what was applied. Returns the failing
   * entry's index (nothing after it is committed), or undefined when all were committed.
   */
  private async applyAndCommit(
    entries: readonly RawStreamEntry[],
  ): Promise<BatchFailure | undefined> {
    const { readModel, build } = this.context;
    // decodeEntry is synchronous: the keys of the batch's data subjects are loaded first.
    if (this.source.keyRing) await this.source.keyRing.load(subjectsOfEntries(entries));
    for (;;) {
      const decoded = decodeBatch(this.source, entries);
      const missing = new Set<string>();
      for (const key of decoded.keys)
        if (key !== undefined && !this.cache.has(key)) missing.add(key);
      if (missing.size > 0) {
        const wanted = [...missing];
        this.rememberAll(wanted, await readModel.loadDocuments(build, wanted));
      }
      const { working, failure } = foldBatch(this.source, decoded, (key) => this.cache.get(key));
      const end = failure?.index ?? entries.length;
      if (end === 0) return failure;
      const committedIds = new Set(entries.slice(0, end).map((entry) => entry[0]));
      const outcome = await this.commit(
        entries.slice(0, end),
        documentWrites(working),
        decoded.deadLetters.filter((letter) => committedIds.has(letter.entryId)),
      );
      if (outcome === "ok") return failure;
      // Another partition's owner wrote one of these documents: reload and apply again.
    }
  }

  private rememberAll(
    keys: readonly string[],
    documents: readonly (StoredDocument | undefined)[],
  ): void {
    if (this.cache.size + keys.length > this.context.options.documentCacheSize) this.cache.clear();
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
    return sendCommand(this.context.redis, "xinfo", "STREAM", this.logKey).then(
      entriesAddedOf,
      () => undefined,
    );
  }

  private async commit(
    entries: readonly RawStreamEntry[],
    documents: DocumentWrite[],
    deadLetters: DeadLetterRecord[],
  ): Promise<"ok" | "revision"> {
    const { readModel, build, projection } = this.context;
    if (this.continuity && !(await this.continuity)) throw GAP;
    const position = (entries[entries.length - 1] as RawStreamEntry)[0];
    const clearAttempts: string[] = [];
    for (const entry of entries) {
      if (this.failedEntries.has(entry[0])) clearAttempts.push(`${this.field}:${entry[0]}`);
    }
    const committing = readModel.commit({
      build,
      partition: this.field,
      fenceToken: this.token,
      expectedPosition: this.last,
      position,
      appliedDelta: entries.length,
      documents,
      deadLetters,
      clearAttempts,
    });
    // The lag after the batch, only when someone looks (a span or the lag gauge): XINFO is sent
    // right behind the commit on the same connection, so it costs no extra round trip.
    const instruments = this.context.telemetry.instruments();
    const addedEntries = this.batch || instruments ? this.entriesAdded() : undefined;
    const outcome = await committing;
    switch (outcome.status) {
      case "ok": {
        this.last = position;
        this.applied += entries.length;
        // Telemetry off: no XINFO was sent, and nothing is awaited for it.
        const added = addedEntries && (await addedEntries);
        const lag = added === undefined ? undefined : Math.max(0, added - this.applied);
        if (this.batch) {
          this.batch.size += entries.length;
          this.batch.deadLetters += deadLetters.length;
          if (lag !== undefined) this.batch.lag = lag;
        }
        if (instruments) {
          instruments.events.add(entries.length, this.attributes);
          for (const letter of deadLetters) {
            instruments.deadLetters.add(1, {
              ...this.attributes,
              "streamstore.dead_letter.reason": letter.reason,
            });
          }
          if (lag !== undefined) {
            this.context.telemetry.lags.set(this.lagKey, {
              value: lag,
              attributes: this.attributes,
            });
          }
        }
        this.failures.reset();
        this.lastFailure = undefined;
        for (const entry of entries) this.failedEntries.delete(entry[0]);
        if (this.cache.size + documents.length > this.context.options.documentCacheSize)
          this.cache.clear();
        for (const document of documents) {
          this.cache.set(document.key, {
            revision: document.expectedRevision + 1,
            state: document.state,
          });
        }
        this.context.onCommit?.({
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
          this.token,
          outcome.currentToken,
        );
      case "checkpoint":
        throw new CheckpointConflictError(projection.name, this.field, this.last, outcome.actual);
      case "revision":
        for (const key of outcome.staleKeys) this.cache.delete(key);
        return "revision";
    }
  }
}

/** XINFO STREAM's `entries-added` (every entry ever added to the log), or undefined. */
function entriesAddedOf(reply: unknown): number | undefined {
  const added = Number(pairs(reply).get("entries-added"));
  return Number.isFinite(added) ? added : undefined;
}
