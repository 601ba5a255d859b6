import { hostname } from "node:os";
import { type Logger, silentLogger } from "@streamstore/core";
import { type KeyLayout, keyLayout, readCategoryRegistry, sleep } from "@streamstore/core/internal";
import {
  type ArchivePolicy,
  type ArchiverOptions,
  DEFAULT_ARCHIVER_OPTIONS,
} from "./ArchiverOptions.js";
import { archivePartitionStep } from "./archivePartitionStep.js";
import { type ArchiverLease, archiverLease } from "./archiverLease.js";
import { checkArchiverOptions } from "./checkArchiverOptions.js";

/** What an archiver has done so far, per category partition it has worked on. */
export interface ArchiverPartitionProgress {
  category: string;
  partition: number;
  /** `archiving` while this archiver holds the lease, `standby` when another one does. */
  state: "archiving" | "standby" | "failed";
  /** Events this archiver moved to the archive (and trimmed from Redis). */
  archived: number;
  /** The seam: the last archived position, as of this archiver's last step. */
  through: string | undefined;
  /** The last error on this partition, if its last step failed. */
  error?: string;
}

/** A running archiver. */
export interface Archiver {
  /** Progress per category partition this archiver has looked at. */
  progress(): ArchiverPartitionProgress[];
  /**
   * Resolves once a whole pass over every category partition found nothing left to archive
   * (what the policies keep is all that is hot), or rejects after `timeoutMs`.
   */
  waitUntilIdle(options?: { timeoutMs?: number }): Promise<void>;
  /** Stops after the current step and gives up its leases; pending `waitUntilIdle` calls reject. */
  stop(): Promise<void>;
}

/**
 * Starts moving events older than each category's policy from Redis to the archive, one category
 * partition at a time under a lease (several archivers share the work and take over from one
 * that died), copying log entries in log order and trimming them from Redis only once the
 * archive has committed them. Runs until `stop()`; failures (the archive down, Redis gone) are
 * logged and retried, never thrown.
 *
 * @example
 * const archiver = startArchiver({ redis, archive: createPostgresArchive({ connectionString }), policies: { default: { keepMs: 7 * 24 * 3600_000 } } });
 * process.on("SIGTERM", () => archiver.stop());
 */
export function startArchiver(options: ArchiverOptions): Archiver {
  const settings = checkArchiverOptions(options);
  const { redis, archive } = options;
  const keys: KeyLayout = keyLayout(options.prefix ?? DEFAULT_ARCHIVER_OPTIONS.prefix);
  const logger: Logger = options.logger ?? silentLogger;
  const workerId =
    options.workerId ?? `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  const halt = new AbortController();
  const leases = new Map<string, ArchiverLease>();
  const progress = new Map<string, ArchiverPartitionProgress>();
  let idlePasses = 0;
  // Each waiter checks on every idle pass, and is settled at once by stop().
  const idleWaiters = new Set<{ check: () => void; stopped: () => void }>();

  const policyOf = (category: string): ArchivePolicy | undefined =>
    options.policies[category] ?? options.policies.default;

  const reportedRegistryEntries = new Set<string>();
  const partitionsToArchive = async (): Promise<[string, number][]> => {
    // Each count checked as read: a hand-written one is reported and its category left alone.
    const registry = await readCategoryRegistry(redis, keys);
    for (const error of registry.invalid) {
      // Once per entry and value, not on every pass.
      if (reportedRegistryEntries.has(error.message)) continue;
      reportedRegistryEntries.add(error.message);
      logger.warn({ category: error.field, value: error.value }, error.message);
    }
    const result: [string, number][] = [];
    for (const { category, partitions: count } of registry.categories) {
      if (policyOf(category) === undefined) continue;
      for (let partition = 0; partition < count; partition++) {
        result.push([category, partition]);
      }
    }
    return result;
  };

  const leaseOf = (category: string, partition: number): ArchiverLease => {
    const name = `${category}/${partition}`;
    let lease = leases.get(name);
    if (!lease) {
      lease = archiverLease(redis, keys.archiver(category, partition), workerId, settings.leaseMs);
      leases.set(name, lease);
    }
    return lease;
  };

  // One partition, as long as it has work and the lease is ours. Resolves whether it archived.
  const drainPartition = async (category: string, partition: number): Promise<boolean> => {
    const name = `${category}/${partition}`;
    const entry: ArchiverPartitionProgress = progress.get(name) ?? {
      category,
      partition,
      state: "standby",
      archived: 0,
      through: undefined,
    };
    progress.set(name, entry);
    const lease = leaseOf(category, partition);
    const policy = policyOf(category) as ArchivePolicy;
    let worked = false;
    while (!halt.signal.aborted) {
      if (!(await lease.hold())) {
        entry.state = "standby";
        return worked;
      }
      entry.state = "archiving";
      const result = await archivePartitionStep({
        redis,
        keys,
        archive,
        category,
        partition,
        policy,
        minAgeMs: settings.minAgeMs,
        respectConsumerGroups: settings.respectConsumerGroups,
        batchSize: settings.batchSize,
        token: lease.token,
      });
      entry.through = result.through;
      delete entry.error;
      if (result.fenced) {
        logger.warn(
          { category, partition, worker: workerId },
          `[streamstore] archiver lost its lease on ${name} before trimming: another archiver took over (what it wrote to the archive is kept once).`,
        );
        entry.state = "standby";
        return worked;
      }
      if (result.archived === 0) return worked;
      entry.archived += result.archived;
      worked = true;
      logger.debug(
        {
          category,
          partition,
          archived: result.archived,
          trimmed: result.trimmed,
          through: result.through,
        },
        `[streamstore] archived ${result.archived} events of ${name}`,
      );
    }
    return worked;
  };

  const run = async () => {
    let failures = 0;
    while (!halt.signal.aborted) {
      let worked = false;
      let failed = false;
      try {
        for (const [category, partition] of await partitionsToArchive()) {
          if (halt.signal.aborted) break;
          try {
            if (await drainPartition(category, partition)) worked = true;
          } catch (error) {
            failed = true;
            const entry = progress.get(`${category}/${partition}`);
            if (entry) {
              entry.state = "failed";
              entry.error = (error as Error).message;
            }
            logger.error(
              { category, partition, worker: workerId, error },
              `[streamstore] archiver step on ${category}/${partition} failed (nothing was trimmed that the archive has not committed); retrying: ${(error as Error).message}`,
            );
          }
        }
      } catch (error) {
        failed = true;
        logger.error(
          { worker: workerId, error },
          `[streamstore] archiver could not list the categories; retrying: ${(error as Error).message}`,
        );
      }
      if (!worked && !failed) {
        idlePasses++;
        for (const waiter of idleWaiters) waiter.check();
      }
      failures = failed ? failures + 1 : 0;
      if (!worked) {
        // Back off on failures (up to 30 s), so a long outage costs few log lines.
        const delay = failed ? Math.min(settings.idleMs * 2 ** failures, 30_000) : settings.idleMs;
        await sleep(delay, halt.signal);
      }
    }
  };
  const running = run();

  return {
    progress: () => [...progress.values()].map((entry) => ({ ...entry })),
    waitUntilIdle({ timeoutMs = 60_000 } = {}) {
      const seen = idlePasses;
      return new Promise<void>((resolve, reject) => {
        const settle = (error?: Error) => {
          clearTimeout(timer);
          idleWaiters.delete(waiter);
          if (error) reject(error);
          else resolve();
        };
        const timer = setTimeout(
          () =>
            settle(
              new Error(
                `[streamstore] the archiver was not idle within ${timeoutMs} ms: see its progress() and logs.`,
              ),
            ),
          timeoutMs,
        );
        const waiter = {
          // A pass that started before the call may have missed what was just appended: wait for
          // one that started after it (two completions).
          check: () => {
            if (idlePasses >= seen + 2) settle();
          },
          stopped: () =>
            settle(new Error("[streamstore] the archiver was stopped before it was idle.")),
        };
        if (halt.signal.aborted) waiter.stopped();
        else idleWaiters.add(waiter);
      });
    },
    async stop() {
      halt.abort();
      for (const waiter of [...idleWaiters]) waiter.stopped();
      await running;
      for (const lease of leases.values()) await lease.release().catch(() => {});
    },
  };
}
