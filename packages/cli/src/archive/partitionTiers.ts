import type { ArchivePartitionStats, EventArchive } from "@streamstore/core";
import type { KeyLayout } from "@streamstore/core/internal";
import type { RedisClient } from "../context/RedisClient.js";

/**
 * A category partition's archive seam as Redis records it (`keys.archived(category, partition)`):
 * how many of its events the archiver moved out of Redis, and the last position it trimmed.
 *
 * @example
 * const seam: PartitionSeam = { events: 1200, position: "1795641141263-0", at: "2026-11-25T21:12:21.263Z" };
 */
export interface PartitionSeam {
  /** Events archived and trimmed from the log (0 before the archiver's first trim). */
  events: number;
  /** Every log entry up to this position is in the archive only; null before the first trim. */
  position: string | null;
  /** The time of that position (Redis's clock when it was appended), ISO 8601. */
  at: string | null;
}

/**
 * One category partition split by tier: what is still in Redis (hot) and what the archiver moved
 * to the archive. What `archive status` and the dashboard both report.
 *
 * @example
 * const share = tiers.archivedEvents / (tiers.archivedEvents + tiers.hotEntries);
 */
export interface PartitionTiers {
  category: string;
  partition: number;
  /** Entries in the partition log (XLEN). */
  hotEntries: number;
  /** MEMORY USAGE of the log; null when the Redis user may not run it. */
  hotBytes: number | null;
  /** Events moved out of Redis (the seam hash's `events`). */
  archivedEvents: number;
  /** The seam: every log entry up to it is in the archive only (null: nothing archived). */
  seamPosition: string | null;
  /** When that entry was appended, ISO 8601. */
  seamAt: string | null;
  /** Events the archive holds for the partition (archive.stats()); null without an archive. */
  archiveEvents: number | null;
  /** Their bytes as the archive measures them; null without an archive. */
  archiveBytes: number | null;
}

/**
 * The archive's own figures for one category partition (`archive.stats()`).
 *
 * @example
 * const figures: ArchiveFigures = { events: 1200, bytes: 301_200, lastPosition: "1795641141263-0" };
 */
export interface ArchiveFigures {
  events: number;
  bytes: number;
  lastPosition: string | null;
}

/**
 * The seam hash of a partition as {@link PartitionSeam} (an absent hash is no seam yet).
 *
 * @example
 * const seam = seamOf(await redis.hgetall(keys.archived("account", 0)));
 */
export function seamOf(hash: Record<string, string> | null | undefined): PartitionSeam {
  const position = hash?.position || null;
  const events = Number(hash?.events ?? 0);
  const ms = Number(position?.split("-")[0]);
  return {
    events: Number.isSafeInteger(events) && events > 0 ? events : 0,
    position,
    at: position && Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : null,
  };
}

/**
 * Reads the seam of every partition at once (one round trip; each HGETALL routed to its slot on
 * a Cluster).
 *
 * @example
 * const seams = await readSeams(redis, keys, [{ category: "account", partition: 0 }]);
 */
export function readSeams(
  redis: RedisClient,
  keys: KeyLayout,
  partitions: readonly { category: string; partition: number }[],
): Promise<PartitionSeam[]> {
  return Promise.all(
    partitions.map(async ({ category, partition }) =>
      seamOf(await redis.hgetall(keys.archived(category, partition))),
    ),
  );
}

/**
 * Who holds an archiver lease: the `workerId` part of its token (`<workerId>:<uuid>`), or null
 * when nobody does.
 *
 * @example
 * leaseHolderOf("host:4242:k3j2:0b6f2e0c-…"); // "host:4242:k3j2"
 */
export function leaseHolderOf(token: string | null): string | null {
  if (!token) return null;
  return token.replace(/:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, "");
}

/**
 * The archive's figures per category partition, keyed `<category>\n<partition>`.
 *
 * @example
 * const figures = await archiveFigures(archive);
 * figures.get(partitionKey("account", 0))?.bytes;
 */
export async function archiveFigures(
  archive: Pick<EventArchive, "stats">,
): Promise<Map<string, ArchiveFigures>> {
  return figuresOf(await archive.stats());
}

/**
 * {@link archiveFigures} from stats already read.
 *
 * @example
 * const figures = figuresOf(await archive.stats());
 */
export function figuresOf(stats: readonly ArchivePartitionStats[]): Map<string, ArchiveFigures> {
  return new Map(
    stats.map((row) => [
      partitionKey(row.category, row.partition),
      { events: row.events, bytes: row.bytes, lastPosition: row.lastPosition ?? null },
    ]),
  );
}

/**
 * The key of a category partition in {@link archiveFigures}'s map.
 *
 * @example
 * partitionKey("account", 0); // "account\n0"
 */
export function partitionKey(category: string, partition: number): string {
  return `${category}\n${partition}`;
}
