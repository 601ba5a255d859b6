import type { Cluster, Redis } from "ioredis";
import { logEntryOf } from "../archive/archivedEntry.js";
import type { EventArchive } from "../archive/EventArchive.js";
import { ArchiveRequiredError } from "../errors/index.js";
import type { KeyLayout } from "../keys/keyLayout.js";
import { positionBefore } from "./categoryCursor.js";
import type { RawStreamEntry } from "./entryCodec.js";
import { archiveDisagrees, readThenSeam } from "./readPartitionAfter.js";
import { compareStreamIds } from "./streamIds.js";

/**
 * Reads up to `count` entries of a category partition log at or below `atOrBelow` (`"+"` for the
 * newest), newest first, from Redis or from the archive, whichever holds them: the backward twin
 * of `readPartitionAfter`. A page shorter than `count` means nothing older exists.
 *
 * Why it is exact: `XREVRANGE` runs before the seam is read, on the same connection, and the
 * archiver trims the log and moves the seam in one script, so when `XREVRANGE` ran Redis held
 * exactly the entries above the seam it then had (`S0`), and the seam read after it (`S`) is at
 * least `S0`. A full page is all from Redis. A short one holds every entry in Redis below
 * `atOrBelow`; what is older is at or below `S0`, which the archive committed before Redis forgot
 * it: it is read from the archive, backward, below the page's oldest entry and at or below `S`.
 *
 * Throws `ArchiveRequiredError` when older entries are archived and `archive` is undefined, and
 * `CorruptEventError` when the archive answers out of order or lacks the seam's entry.
 *
 * @example
 * const newest = await readPartitionBefore(redis, archive, store.keys, "account", 0, "+", 100);
 */
export async function readPartitionBefore(
  redis: Redis | Cluster,
  archive: EventArchive | undefined,
  keys: KeyLayout,
  category: string,
  partition: number,
  atOrBelow: string,
  count: number,
): Promise<RawStreamEntry[]> {
  const logKey = keys.log(category, partition);
  const { page, seam } = await readThenSeam(
    redis,
    keys,
    category,
    partition,
    ["xrevrange", logKey, atOrBelow, "-", "COUNT", count],
    `the backward read of ${category}/${partition} at or below ${atOrBelow}`,
  );
  const through = seam.position;
  if (page.length === count || through === undefined) return page;
  // The archived entries to read: below the page's oldest entry (or at or below `atOrBelow`),
  // and at or below the seam.
  let until = through;
  const oldest = page.at(-1)?.[0];
  const below = oldest === undefined ? atOrBelow : positionBefore(oldest);
  if (below === undefined) return page;
  if (below !== "+" && compareStreamIds(below, until) < 0) until = below;
  if (!archive) throw new ArchiveRequiredError(`${category}/${partition}`, seam.events);
  const rows = await archive.readPartition(category, partition, {
    after: "0-0",
    until,
    limit: count - page.length,
    direction: "backward",
  });
  const entries = [...page];
  let previous: string | undefined;
  for (const row of rows) {
    if (
      row.category !== category ||
      row.partition !== partition ||
      compareStreamIds(row.position, until) > 0 ||
      (previous !== undefined && compareStreamIds(row.position, previous) >= 0)
    ) {
      throw archiveDisagrees(
        logKey,
        row.position,
        `the archive returned it for ${category}/${partition} at or below ${until}, newest first: out of that range, or out of order (does the archive read backward?)`,
      );
    }
    entries.push(logEntryOf(row));
    previous = row.position;
  }
  // The seam is the position of the last entry archived: reading from it, the archive must
  // return that entry first.
  if (until === through && rows[0]?.position !== through) {
    throw archiveDisagrees(
      logKey,
      through,
      `Redis counts every entry of ${category}/${partition} up to this one (its archive seam) as archived, but the archive does not hold it`,
    );
  }
  return entries;
}
