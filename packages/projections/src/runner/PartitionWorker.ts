import type { RawStreamEntry } from "@streamstore/core";
import {
  compareStreamIds,
  describeRedisClient,
  describeRedisFailure,
  readPartitionAfter,
  sleep,
} from "@streamstore/core/internal";
import { FailureStreak } from "../consumer/backoff.js";
import { ConsumerGroupReader } from "../consumer/ConsumerGroupReader.js";
import {
  isCorruptCheckpointError,
  isProjectionFencedError,
  isProjectionHandlerError,
} from "../errors.js";
import type { PartitionInstrumentation } from "../telemetry/partitionInstrumentation.js";
import type { BatchSource } from "./foldBatch.js";
import { PageReadAhead } from "./PageReadAhead.js";
import { GAP, PartitionCommitter } from "./PartitionCommitter.js";
import type { PartitionState, PartitionWorkerContext } from "./PartitionWorkerContext.js";
import { sendCommand } from "./redisCommands.js";

const RESTART = Symbol("restart");

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
  /** During a catch-up: its pages, read ahead of the commits. */
  private pages: PageReadAhead | undefined;
  private readonly halt = new AbortController();
  /** This partition log's consumer group: claims, tailing reads, acks. */
  private readonly reader: ConsumerGroupReader;
  /** Applies and commits this partition's batches; knows the last committed position. */
  private readonly committer: PartitionCommitter;
  /** This partition's spans and metrics, reported at named points. */
  private readonly instrumentation: PartitionInstrumentation;
  /** Sessions that failed in a row without a commit in between (for the retry backoff). */
  private readonly failures: FailureStreak;
  /** The error of the failure streak under way; undefined once a commit succeeded. */
  private lastFailure: string | undefined;
  /**
   * The last state write: `done` waits for it, so that once the runner left the build's
   * membership no write of this worker can land (and recreate a retired build's deleted key).
   */
  private stateWrite: Promise<unknown> = Promise.resolve();
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
    this.instrumentation = context.instrumentation.partition(category, partition);
    this.committer = new PartitionCommitter({
      context,
      source: this.source,
      token,
      instrumentation: this.instrumentation,
      signal: this.halt.signal,
      halted: () => this.halted,
      leaseLost: () => this.leaseLost,
      live: () => this.state === "live",
      fields: (extra) => this.fields(extra),
      // During a catch-up, the next page's reply is usually ahead of the commit's on the
      // connection: the page after it is requested, and it is decoded, while the commit travels.
      whileCommitting: () => this.pages?.whileCommitting(),
      onCommitted: () => {
        this.failures.reset();
        this.lastFailure = undefined;
      },
    });
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
    this.stateWrite = sendCommand(
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
          await this.stateWrite;
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
    await this.reader.acksSettled();
    this.reader.close();
    this.setState("stopped");
    this.instrumentation.released();
    await this.stateWrite;
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
      this.committer.resetTo((await readModel.readCheckpoints(build)).get(this.field));
      this.setState("catching-up");
      await this.reader.createGroup(this.committer.last);
      const claimed = await this.claimPending();
      await this.catchUp();
      if (this.halted) return;
      // Claimed entries above the old checkpoint were applied by the catch-up (it reads them
      // again from the log, in order): only their PEL entries are left to clear.
      await this.reader.ack(claimed);
      await this.reader.setPosition(this.committer.last);
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
        (compareStreamIds(id, this.committer.last) <= 0 ? settled : above).push(id);
      }
      // Entries deleted from the log while pending: nothing to apply.
      settled.push(...page.deleted);
    } while (cursor !== "0-0");
    // Entries above the checkpoint were delivered before (to us or a dead owner) and are applied
    // again by the catch-up: redeliveries, which a healthy partition rarely has.
    if (above.length > 0) {
      this.instrumentation.redelivered(above.length, "claimed");
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
    const pages = new PageReadAhead(
      (after) => this.readAfter(after, options.batchSize),
      this.committer.last,
      (page) => this.committer.prepare(page),
    );
    this.pages = pages;
    try {
      while (!this.halted) {
        const page = await pages.take();
        if (page.length === 0) return;
        await this.committer.processBatch(page);
      }
    } finally {
      pages.close();
      this.pages = undefined;
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
        if (compareStreamIds(entry[0], this.committer.last) <= 0) old.push(entry[0]);
        else fresh.push(entry);
      }
      // Acks of what is committed are not waited for: the next read goes out a round trip
      // sooner (a lost ack leaves the entry pending, and the next session's claim acks it).
      this.reader.ackInBackground(old);
      if (fresh.length === 0) continue;
      // Continuity: the batch must start right after the last applied entry. Anything between
      // went to another consumer (a zombie's read), or was archived and trimmed before the group
      // delivered it (an archiver that does not respect consumer groups): claim and catch up
      // again, through the archive if need be. The check reads through the archive too, so it
      // sees such a gap. It runs while the handlers do; the first commit of the batch waits for it.
      const expected = fresh[0]?.[0];
      const after = this.committer.last;
      const continuity = this.readAfter(after, 1).then(([following]) => {
        if (following?.[0] === expected) return true;
        this.context.logger.warn(
          this.fields({ after, got: expected, expected: following?.[0] }),
          `[streamstore] projection "${this.context.projection.name}" partition ${this.field}: gap after ${after}; claiming and catching up again.`,
        );
        return false;
      });
      continuity.catch(() => {});
      try {
        await this.committer.processBatch(fresh, continuity);
      } catch (error) {
        if (error === GAP) return RESTART;
        throw error;
      }
      this.reader.ackInBackground(
        fresh
          .filter((entry) => compareStreamIds(entry[0], this.committer.last) <= 0)
          .map((entry) => entry[0]),
      );
    }
    return undefined;
  }
}
