import type { ArchivedEntry, RawStreamEntry } from "@streamstore/core";
import { compareStreamIds } from "@streamstore/core/internal";

/** What a consumer group of a log has not settled: entries after `lastDelivered`, or pending. */
export interface GroupFloor {
  group: string;
  /** The group's last-delivered id: entries after it were never read by the group. */
  lastDelivered: string;
  /** The smallest id still pending (read, not acknowledged), if any. */
  oldestPending: string | undefined;
}

/** The limits one step applies to the oldest entries of a partition log. */
export interface EligibilityLimits {
  /** Redis's clock (TIME), in ms: entry ids carry Redis's time, so it is compared with that. */
  nowMs: number;
  /** Only entries older than this many ms (the larger of the policy's keepMs and minAgeMs). */
  keepMs: number;
  /** Every consumer group's floor, when groups are respected. */
  groups: readonly GroupFloor[];
}

/**
 * How many of `entries` (the oldest hot entries of a log, in order) may be archived now: the
 * longest prefix that is old enough and settled by every consumer group. A prefix, because the
 * archive and the trim move a seam: nothing after an entry that must stay may go.
 *
 * @example
 * const n = eligiblePrefix(page, { nowMs: Date.now(), keepMs: 600_000, groups: [] });
 */
export function eligiblePrefix(
  entries: readonly RawStreamEntry[],
  limits: EligibilityLimits,
): number {
  const newest = limits.nowMs - limits.keepMs;
  let count = 0;
  for (const [position] of entries) {
    const ms = Number(position.slice(0, position.indexOf("-")));
    if (!(ms < newest)) break;
    const unsettled = limits.groups.some(
      (floor) =>
        compareStreamIds(position, floor.lastDelivered) > 0 ||
        (floor.oldestPending !== undefined && compareStreamIds(position, floor.oldestPending) >= 0),
    );
    if (unsettled) break;
    count++;
  }
  return count;
}

/**
 * Per aggregate of a step, its highest archived version and that event's position (what the
 * trim needs to shrink its index), in first-seen order.
 *
 * @example
 * const aggregates = highestVersions(archivedEntries);
 */
export function highestVersions(
  entries: readonly ArchivedEntry[],
): { id: string; version: number; position: string }[] {
  const byStream = new Map<string, { id: string; version: number; position: string }>();
  for (const entry of entries) {
    const id = entry.streamName.slice(entry.category.length + 1);
    const seen = byStream.get(entry.streamName);
    if (seen === undefined || entry.version > seen.version) {
      byStream.set(entry.streamName, { id, version: entry.version, position: entry.position });
    }
  }
  return [...byStream.values()];
}
