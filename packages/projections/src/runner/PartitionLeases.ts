import type { LeaseScripts } from "./leaseScripts.js";
import { PartitionWorker } from "./PartitionWorker.js";
import type { PartitionWorkerContext } from "./PartitionWorkerContext.js";
import type { SourcePartition } from "./partitionAssignment.js";

/**
 * The partitions one build's engine owns, each through a fenced lease, and their workers: at each
 * heartbeat it renews the leases of the partitions still assigned, gives up the others, and takes
 * the free ones newly assigned (a new fence token each time). A lease it fails to renew was taken
 * over: its worker stops at once, its uncommitted batch abandoned (its commit would be fenced).
 *
 * @example
 * const leases = new PartitionLeases(context, leaseScripts(redis), stopSignal);
 * await leases.rebalance(partitions, assignedFields(partitions, members, workerId));
 * await leases.releaseAll();
 */
export class PartitionLeases {
  private readonly workers = new Map<string, PartitionWorker>();
  /** Workers no longer in `workers` whose run may not have ended yet (awaited by releaseAll). */
  private readonly leaving = new Set<Promise<void>>();

  constructor(
    private readonly context: PartitionWorkerContext,
    private readonly scripts: LeaseScripts,
    /** Aborted when the engine stops: no new lease is taken. */
    private readonly signal: AbortSignal,
  ) {}

  /** The workers of the partitions owned now. */
  get owned(): PartitionWorker[] {
    return [...this.workers.values()];
  }

  /** Renews, gives up and takes leases so that this engine owns exactly `assigned`. */
  async rebalance(partitions: readonly SourcePartition[], assigned: Set<string>): Promise<void> {
    const { keys, build, options } = this.context;
    const renewals: Promise<void>[] = [];
    for (const [field, worker] of this.workers) {
      if (!assigned.has(field)) {
        worker.requestStop();
        this.track(this.release(worker));
        continue;
      }
      renewals.push(this.renew(field, worker));
    }
    await Promise.all(renewals);
    for (const { category, partition, field } of partitions) {
      if (!assigned.has(field) || this.workers.has(field) || this.signal.aborted) continue;
      const sentAt = performance.now();
      const token = Number(
        await this.scripts.acquire(
          keys.lease(build, field),
          keys.fence(build, field),
          this.context.workerId,
          options.leaseTtlMs,
        ),
      );
      if (token > 0) this.start(category, partition, field, token, sentAt + options.leaseTtlMs);
    }
  }

  /** Stops every worker (in-flight batches committed) and gives up their leases. */
  async releaseAll(): Promise<void> {
    for (const worker of this.workers.values()) worker.requestStop();
    await Promise.all([...this.workers.values()].map((worker) => this.release(worker)));
    await Promise.all(this.leaving);
  }

  private start(
    category: string,
    partition: number,
    field: string,
    token: number,
    leaseValidUntil: number,
  ): void {
    const worker = new PartitionWorker(this.context, category, partition, token, leaseValidUntil);
    this.workers.set(field, worker);
    void worker.done.then(() => {
      if (this.workers.get(field) === worker && !this.signal.aborted) {
        // Stopped by itself (fenced): give up the lease too, so that taking the partition
        // again draws a new fence token instead of reusing the stale one.
        this.workers.delete(field);
        this.track(this.release(worker));
      }
    });
  }

  private async renew(field: string, worker: PartitionWorker): Promise<void> {
    const { keys, build, options, workerId, logger, projection } = this.context;
    const sentAt = performance.now();
    const renewed = await this.scripts.renew(
      keys.lease(build, field),
      `${workerId}|${worker.token}`,
      options.leaseTtlMs,
    );
    if (renewed === 1) {
      worker.leaseValidUntil = sentAt + options.leaseTtlMs;
      worker.publishState();
      return;
    }
    logger.warn(
      { projection: projection.name, build, partition: field, worker: workerId },
      `[streamstore] projection "${projection.name}" lost the lease of ${field}; another worker owns it now.`,
    );
    worker.loseLease();
    this.workers.delete(field);
    this.track(worker.done);
  }

  /** Waits for the worker to stop, then gives up its lease (it expires by itself otherwise). */
  private async release(worker: PartitionWorker): Promise<void> {
    const { keys, build, workerId } = this.context;
    await worker.done;
    try {
      await this.scripts.renew(
        keys.lease(build, worker.field),
        `${workerId}|${worker.token}`,
        "release",
      );
    } catch {
      // The lease expires by itself.
    }
    if (this.workers.get(worker.field) === worker) this.workers.delete(worker.field);
  }

  private track(leaving: Promise<void>): void {
    const settled = leaving.catch(() => {});
    this.leaving.add(settled);
    void settled.then(() => this.leaving.delete(settled));
  }
}
