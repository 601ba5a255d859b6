import type { ChainableCommander, Cluster, Redis } from "ioredis";
import { logEntryOf } from "../archive/archivedEntry.js";
import type { EventArchive } from "../archive/EventArchive.js";
import { ArchiveRequiredError, CorruptEventError } from "../errors/index.js";
import type { KeyLayout } from "../keys/keyLayout.js";
import type { RawStreamEntry } from "./entryCodec.js";
import { type BufferStreamEntry, rawEntriesOfBuffers } from "./rawEntriesOfBuffers.js";
import { compareStreamIds } from "./streamIds.js";

/** A category partition's seam as one read saw it: undefined position when nothing was archived. */
export interface Seam {
  position: string | undefined;
  events: number;
}

/**
 * Runs a pipeline (its commands reach Redis in order, on one connection) and returns each reply;
 * rejects with the first command's error, or when the connection closed before the replies.
 *
 * @example
 * const [entries, seam] = await repliesOf(redis.pipeline().xrange(log, "-", "+").hmget(seamKey, "position", "events"), "the read");
 */
export async function repliesOf(pipeline: ChainableCommander, what: string): Promise<unknown[]> {
  const replies = await pipeline.exec();
  if (!replies) {
    throw new Error(`[streamstore] ${what} got no reply: the connection closed before it came.`);
  }
  return replies.map(([error, reply]) => {
    if (error) throw error;
    return reply;
  });
}

/** A page read of a partition log: `XRANGE` or `XREVRANGE` with its arguments. */
export type LogRead = ["xrange" | "xrevrange", ...(string | number)[]];

/** ioredis's `xrangeBuffer`/`xrevrangeBuffer`, on a client (a promise) or a pipeline (itself). */
type BufferReads<Reply> = {
  [name in `${LogRead[0]}Buffer`]: (...args: (string | number)[]) => Reply;
};

/**
 * Sends a read of a partition log, then `HMGET <seam> position events`, and returns both replies:
 * Redis runs them in that order on one connection, which is what makes the seam check exact. The
 * page is read as Buffers and converted by rawEntriesOfBuffers: the same strings, for less work
 * than ioredis's own conversion (a 1,000,000-event catch-up took 4.7-5.0 µs per event against
 * 5.4-5.8 through `xrange`).
 *
 * On a single Redis the two commands are sent back to back on the client (ioredis writes, queues
 * and resends its commands in call order on its one connection). An ioredis pipeline would give
 * the same order, but costs the hot read path dearly: in a 1,000,000-event loop of 1,000-entry
 * pages (`pnpm bench:projections`'s bare loop), a `pipeline().xrange().hmget()` per page made each
 * page's strings survive young-generation GCs (0.6 µs of GC per event, against 0.1 for the same
 * commands sent directly). On a Cluster they go in one pipeline, so that a redirection (MOVED, ASK) resends both
 * together, in order; both keys carry the partition's hash tag, so they reach one node.
 *
 * @example
 * const [page, seam] = await readThenSeam(redis, keys, "account", 0, ["xrange", keys.log("account", 0), "(0-0", "+", "COUNT", 100], "the read");
 */
export async function readThenSeam(
  redis: Redis | Cluster,
  keys: KeyLayout,
  category: string,
  partition: number,
  read: LogRead,
  what: string,
): Promise<{ page: RawStreamEntry[]; seam: Seam }> {
  const [command, ...args] = read;
  const method = `${command}Buffer` as const;
  const seamKey = keys.archived(category, partition);
  let replies: unknown[];
  if ((redis as { isCluster?: boolean }).isCluster === true) {
    const pipeline = redis.pipeline() as ChainableCommander & BufferReads<ChainableCommander>;
    replies = await repliesOf(pipeline[method](...args).hmget(seamKey, "position", "events"), what);
  } else {
    const client = redis as Redis & BufferReads<Promise<unknown>>;
    replies = await Promise.all([
      client[method](...args),
      client.hmget(seamKey, "position", "events"),
    ]);
  }
  const [page, seam] = replies;
  return { page: rawEntriesOfBuffers(page as BufferStreamEntry[]), seam: seamOf(seam) };
}

/** `XRANGE log (after + COUNT count`, then the seam (see readThenSeam). */
function readLogThenSeam(
  redis: Redis | Cluster,
  keys: KeyLayout,
  category: string,
  partition: number,
  after: string,
  count: number,
): Promise<{ page: RawStreamEntry[]; seam: Seam }> {
  return readThenSeam(
    redis,
    keys,
    category,
    partition,
    ["xrange", keys.log(category, partition), `(${after}`, "+", "COUNT", count],
    `the read of ${category}/${partition} after ${after}`,
  );
}

/**
 * The seam from the reply of `HMGET <archived> position events`.
 *
 * @example
 * const seam = seamOf(["1700000000000-4", "5"]); // { position: "1700000000000-4", events: 5 }
 */
export function seamOf(reply: unknown): Seam {
  const [position, events] = reply as (string | null)[];
  return { position: position ?? undefined, events: Number(events ?? 0) || 0 };
}

/**
 * Reads up to `count` entries of a category partition log after `after` (exclusive), in position
 * order, from Redis or from the archive, whichever holds them: no gap and no duplicate at the
 * seam, even while the archiver moves it. Returns raw log entries (archived ones through
 * `logEntryOf`), so both decode alike; an empty page means nothing follows `after` yet.
 *
 * Why it is exact: the XRANGE runs before the seam is read, on the same connection, and the seam
 * only grows, so a seam at or below `after` means nothing after `after` had been trimmed when the
 * XRANGE ran, and its page is complete. A seam past `after` means some of what follows may be gone
 * from Redis: those entries (up to the seam) are read from the archive, which committed them
 * before Redis forgot them. When the archive has fewer than `count` of them, the rest of the page
 * is the XRANGE's entries above the seam (nothing above the seam was trimmed when it ran).
 *
 * Throws `ArchiveRequiredError` when entries after `after` are archived and `archive` is
 * undefined, and `CorruptEventError` when the archive does not hold what Redis says it archived
 * (another archive than the archiver's, or one restored from an older backup): reading on from
 * the seam would skip those entries silently.
 *
 * @example
 * const page = await readPartitionAfter(redis, archive, store.keys, "account", 0, checkpoint, 500);
 */
export async function readPartitionAfter(
  redis: Redis | Cluster,
  archive: EventArchive | undefined,
  keys: KeyLayout,
  category: string,
  partition: number,
  after: string,
  count: number,
): Promise<RawStreamEntry[]> {
  const { page, seam } = await readLogThenSeam(redis, keys, category, partition, after, count);
  const through = seam.position;
  if (through === undefined || compareStreamIds(through, after) <= 0) return page;
  if (!archive) throw new ArchiveRequiredError(`${category}/${partition}`, seam.events);
  const rows = await archive.readPartition(category, partition, {
    after,
    until: through,
    limit: count,
  });
  const logKey = keys.log(category, partition);
  const entries: RawStreamEntry[] = [];
  let previous = after;
  for (const row of rows) {
    if (
      row.category !== category ||
      row.partition !== partition ||
      compareStreamIds(row.position, previous) <= 0 ||
      compareStreamIds(row.position, through) > 0
    ) {
      throw archiveDisagrees(
        logKey,
        row.position,
        `the archive returned it for ${category}/${partition} after ${previous} and up to the seam ${through}: out of that range, or out of order`,
      );
    }
    entries.push(logEntryOf(row));
    previous = row.position;
  }
  if (entries.length === count) return entries;
  // Fewer than asked: the archive has nothing more up to the seam, and the seam is the position of
  // the last entry archived, so the archive must have returned that entry last.
  if (compareStreamIds(previous, through) !== 0) {
    throw archiveDisagrees(
      logKey,
      through,
      `Redis counts every entry of ${category}/${partition} up to this one (its archive seam) as archived, but the archive holds none of them after ${previous}`,
    );
  }
  for (const entry of page) {
    if (entries.length === count) break;
    if (compareStreamIds(entry[0], through) > 0) entries.push(entry);
  }
  return entries;
}

/**
 * The archive does not hold what Redis counts as archived, or answered out of order: reading on
 * would skip entries silently, so the read stops there.
 *
 * @example
 * throw archiveDisagrees(keys.log("order", 0), "1700000000000-4", "the archive holds none of it");
 */
export function archiveDisagrees(
  logKey: string,
  position: string,
  reason: string,
): CorruptEventError {
  return new CorruptEventError(
    logKey,
    undefined,
    position,
    `${reason} (is it the archive the archiver writes to, or one restored from an older backup?); nothing after it is read (a projection applies nothing more) until the archive holds it`,
  );
}

/**
 * The position of a category partition's last entry, `"0-0"` when it has none: the log's last
 * entry, or the archive seam when the archiver has trimmed the log past it (a log archived
 * whole is empty in Redis, and its last entry is the seam). What "caught up" is measured against.
 *
 * @example
 * const last = await lastPartitionPosition(redis, store.keys, "account", 0);
 */
export async function lastPartitionPosition(
  redis: Redis | Cluster,
  keys: KeyLayout,
  category: string,
  partition: number,
): Promise<string> {
  const [entries, seam] = await repliesOf(
    redis
      .pipeline()
      .xrevrange(keys.log(category, partition), "+", "-", "COUNT", 1)
      .hget(keys.archived(category, partition), "position"),
    `the last position of ${category}/${partition}`,
  );
  const last = (entries as RawStreamEntry[])[0]?.[0] ?? "0-0";
  const through = (seam as string | null) ?? "0-0";
  return compareStreamIds(through, last) > 0 ? through : last;
}
