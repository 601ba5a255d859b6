import { expect } from "vitest";
import type { EventArchive } from "../../src/index.js";
import type { KeyLayout } from "../../src/internal.js";
import { archivedEntryOf, trimArchived } from "../../src/internal.js";

/** What {@link archiveOldest} archives, and how. */
export interface ArchiveOldestRequest {
  category: string;
  partition: number;
  /** How many of the log's oldest entries. */
  count: number;
  /** The archiver's lease token (already set on the partition's archiver key). */
  token: string;
  /** Steps of that many entries (the last one takes the rest). */
  chunks?: number[];
  /** Runs each trim twice (the second must trim nothing). */
  replay?: boolean;
  /** Leaves this version out of the archive (an archive that lost it). */
  skip?: { stream: string; version: number };
}

/**
 * Archives the oldest entries of a category partition log as the archiver does, by hand: copies
 * them to the archive (archivedEntryOf), then trims them under the lease (trimArchived), step by
 * step, checking each step trimmed what it archived.
 *
 * @example
 * await archiveOldest(redis, store.keys, archive, { category: "acct", partition: 0, count: 5, token });
 */
export async function archiveOldest(
  redis: Parameters<typeof trimArchived>[0],
  keys: KeyLayout,
  archive: EventArchive,
  request: ArchiveOldestRequest,
): Promise<void> {
  const { category, partition, count, token, chunks = [], replay = false, skip } = request;
  const logKey = keys.log(category, partition);
  const entries = (await redis.xrange(logKey, "-", "+", "COUNT", count)) as [string, string[]][];
  let done = 0;
  const sizes = [...chunks.filter((size) => size > 0), entries.length];
  for (const size of sizes) {
    const step = entries.slice(done, Math.min(entries.length, done + size));
    if (step.length === 0) break;
    done += step.length;
    const archived = step.map((entry) => archivedEntryOf(category, partition, entry));
    await archive.write(
      archived.filter(
        (entry) => entry.streamName !== skip?.stream || entry.version !== skip?.version,
      ),
    );
    const highest = new Map<string, { id: string; version: number; position: string }>();
    for (const entry of archived) {
      highest.set(entry.streamName, {
        id: entry.streamName.slice(category.length + 1),
        version: entry.version,
        position: entry.position,
      });
    }
    const trim = {
      category,
      partition,
      token,
      through: (step.at(-1) as [string, string[]])[0],
      aggregates: [...highest.values()],
    };
    expect(await trimArchived(redis, keys, trim)).toEqual({
      outcome: "trimmed",
      trimmed: step.length,
    });
    if (replay) {
      expect(await trimArchived(redis, keys, trim)).toEqual({ outcome: "trimmed", trimmed: 0 });
    }
  }
}
