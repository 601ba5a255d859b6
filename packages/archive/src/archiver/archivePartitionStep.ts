import type { ArchivedEntry, RawStreamEntry } from "@streamstore/core";
import type { KeyLayout } from "@streamstore/core/internal";
import { archivedEntryOf, trimArchived } from "@streamstore/core/internal";
import type { Cluster, Redis } from "ioredis";
import type { ArchivePolicy } from "./ArchiverOptions.js";
import { consumerGroupFloors } from "./consumerGroupFloors.js";
import { eligiblePrefix, highestVersions } from "./eligibleEntries.js";

/** What one step needs: where, under which lease, with which limits. */
export interface PartitionStepContext {
  redis: Redis | Cluster;
  keys: KeyLayout;
  archive: { write(entries: readonly ArchivedEntry[]): Promise<void> };
  category: string;
  partition: number;
  policy: ArchivePolicy;
  minAgeMs: number;
  respectConsumerGroups: boolean;
  batchSize: number;
  /** The lease token the trim must match. */
  token: string;
}

/** What one step did. `fenced`: the lease was lost before the trim (nothing trimmed). */
export interface PartitionStepResult {
  archived: number;
  trimmed: number;
  /** The seam after the step: the last archived position (undefined: nothing archived yet). */
  through: string | undefined;
  fenced: boolean;
}

/**
 * One step of the archiver on one category partition: the oldest hot entries the policy lets go
 * (after the seam, in log order, at most `batchSize`), written to the archive and committed, then
 * trimmed from the log and from their aggregates' indexes in one fenced script. Idempotent and
 * resumable: a step cut short anywhere (a crash after the archive's commit, before the trim)
 * leaves entries in Redis that the next step writes again (the archive keeps the first copy)
 * and then trims. Redis is never trimmed beyond what the archive has committed.
 *
 * @example
 * const result = await archivePartitionStep({ redis, keys, archive, category: "order", partition: 0, policy: { keepEvents: 1000 }, minAgeMs: 600_000, respectConsumerGroups: true, batchSize: 1000, token });
 */
export async function archivePartitionStep(
  context: PartitionStepContext,
): Promise<PartitionStepResult> {
  const { redis, keys, category, partition, policy } = context;
  const logKey = keys.log(category, partition);
  const groups = context.respectConsumerGroups ? await consumerGroupFloors(redis, logKey) : [];
  // Redis's clock, not ours: entry ids carry Redis's time.
  const time = (await redis.time()) as [string | number, string | number];
  const seam = await redis.hget(keys.archived(category, partition), "position");
  const length = await redis.xlen(logKey);
  const nowMs = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
  const after = seam ?? "0-0";
  let count = context.batchSize;
  if (policy.keepEvents !== undefined) count = Math.min(count, length - policy.keepEvents);
  if (count <= 0) return { archived: 0, trimmed: 0, through: seam ?? undefined, fenced: false };
  const page = (await redis.xrange(logKey, `(${after}`, "+", "COUNT", count)) as RawStreamEntry[];
  const eligible = eligiblePrefix(page, {
    nowMs,
    keepMs: Math.max(policy.keepMs ?? 0, context.minAgeMs),
    groups,
  });
  if (eligible === 0) return { archived: 0, trimmed: 0, through: seam ?? undefined, fenced: false };
  const entries = page
    .slice(0, eligible)
    .map((entry) => archivedEntryOf(category, partition, entry));
  await context.archive.write(entries);
  const through = (entries[entries.length - 1] as ArchivedEntry).position;
  const result = await trimArchived(redis, keys, {
    category,
    partition,
    token: context.token,
    through,
    aggregates: highestVersions(entries),
  });
  if (result.outcome === "fenced") {
    return { archived: entries.length, trimmed: 0, through: seam ?? undefined, fenced: true };
  }
  return { archived: entries.length, trimmed: result.trimmed, through, fenced: false };
}
