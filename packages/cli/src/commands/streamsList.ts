import { INDEX_HEADER_BYTES, INDEX_RECORD_BYTES, readAggregatePage } from "@streamstore/core";
import { assertCategory, checkLayout, indexVersion, keyLayout } from "@streamstore/core/internal";
import type { CommandContext } from "../context/CommandContext.js";
import { type RedisClient, serversOf } from "../context/RedisClient.js";
import { CliError, EXIT_CODES } from "../exitCodes.js";
import { pagedListing } from "../output/pagedListing.js";
import { timeOfStreamId } from "./shared.js";

// `streamstore streams`: the aggregates of a store (or one category), from their index keys.

/**
 * One aggregate as `streamstore streams` lists it.
 *
 * @example
 * const row: StreamSummary = { stream: "account-alice", category: "account", partition: 0, version: 7, lastEventAt: "2025-01-01T00:00:00.000Z", key: "ss:{account:0}:i:alice" };
 */
export interface StreamSummary {
  stream: string;
  category: string;
  partition: number;
  /** The aggregate's version, from its index's length and header (archived versions count). */
  version: number;
  /**
   * When the last event was committed (Redis's clock: the time of its log position), or null
   * when the index is empty or not whole records.
   */
  lastEventAt: string | null;
  /** The aggregate's index key. */
  key: string;
}

/** What {@link scanIndexKeys} found: the aggregates, and the keys it had to leave out. */
export interface ScannedIndexes {
  /** Every aggregate index, sorted by stream name, with its version from STRLEN and header. */
  streams: StreamSummary[];
  /** Keys that match the index pattern but are not strings: not written by streamstore. */
  notStrings: string[];
  /** Index keys whose length is not whole records (written by hand): `stream show` refuses them. */
  corrupt: string[];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Every aggregate index under the prefix (SCAN `<prefix>:{<category>:*}:i:*`), parsed, with its
 * version (STRLEN and the header's archived count, one pipeline per SCAN page); on a Cluster, from
 * every primary (a category's partitions are spread over them). `lastEventAt` is left null: see
 * {@link describeStreams}.
 *
 * @example
 * const { streams } = await scanIndexKeys(redis, "ss", "account");
 */
export async function scanIndexKeys(
  redis: RedisClient,
  prefix: string,
  category: string | undefined,
): Promise<ScannedIndexes> {
  // Built from validated parts only: keyLayout refuses a prefix with glob characters, and
  // assertCategory a category with any (a glob would widen SCAN to other tenants' keys).
  const layout = keyLayout(prefix);
  const pattern = `${layout.prefix}:{${category === undefined ? "*" : assertCategory(category)}:*}:i:*`;
  const parse = new RegExp(`^${escapeRegExp(layout.prefix)}:\\{([^:{}]+):([0-9]+)\\}:i:(.+)$`);
  const scanned: ScannedIndexes = { streams: [], notStrings: [], corrupt: [] };
  for (const server of serversOf(redis)) {
    let cursor = "0";
    do {
      const [next, keys] = await server.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      cursor = next;
      const matches = keys.flatMap((key) => {
        const match = parse.exec(key);
        return match ? [match as unknown as [string, string, string, string]] : [];
      });
      if (matches.length === 0) continue;
      // The page's keys are all on this server: one pipeline of STRLEN and the first bytes (an
      // archived aggregate's header) on it (a WRONGTYPE reply marks a key that is not an index).
      const pipeline = server.pipeline();
      for (const [key] of matches) {
        pipeline.strlen(key);
        pipeline.getrangeBuffer(key, 0, INDEX_HEADER_BYTES - 1);
      }
      const replies = (await pipeline.exec()) ?? [];
      for (const [index, [key, keyCategory, partition, id]] of matches.entries()) {
        const [error, length] = replies[index * 2] ?? [new Error("no reply"), null];
        if (error) {
          if (error.message.startsWith("WRONGTYPE")) {
            scanned.notStrings.push(key);
            continue;
          }
          throw error;
        }
        const [, head] = replies[index * 2 + 1] ?? [null, null];
        const state = indexVersion(Number(length), (head as Buffer | null) ?? Buffer.alloc(0));
        if (state === undefined) scanned.corrupt.push(key);
        scanned.streams.push({
          stream: `${keyCategory}-${id}`,
          category: keyCategory,
          partition: Number(partition),
          version: state?.version ?? Math.floor(Number(length) / INDEX_RECORD_BYTES),
          lastEventAt: null,
          key,
        });
      }
    } while (cursor !== "0");
  }
  scanned.streams.sort((left, right) => left.stream.localeCompare(right.stream));
  return scanned;
}

/**
 * Adds each stream's last event time: its last version read with `readAggregatePage` (backward,
 * count 1), whose log position is the commit time; the version is the one that read saw. All at
 * once (each routed to its slot on a Cluster) after a first read that loads the script.
 */
async function describeStreams(
  redis: RedisClient,
  prefix: string,
  streams: readonly StreamSummary[],
  corrupt: ReadonlySet<string>,
): Promise<StreamSummary[]> {
  const layout = keyLayout(prefix);
  const describe = async (stream: StreamSummary): Promise<StreamSummary> => {
    if (stream.version === 0 || corrupt.has(stream.key)) return stream;
    const page = await readAggregatePage(
      redis,
      {
        streamName: stream.stream,
        indexKey: stream.key,
        logKey: layout.log(stream.category, stream.partition),
      },
      { direction: "backward", start: 0, stop: 0, count: 1 },
    );
    const last = page.entries[0];
    return {
      ...stream,
      version: page.version,
      lastEventAt: last ? timeOfStreamId(last.entry[0]) : null,
    };
  };
  const [first, ...rest] = streams;
  if (!first) return [];
  // The first read sends EVAL_RO once after NOSCRIPT; the others then find the script cached.
  const described = await describe(first);
  return [described, ...(await Promise.all(rest.map(describe)))];
}

/** Streams described and printed per page by `streams`. */
const LIST_PAGE = 500;

export async function listStreams(
  context: CommandContext,
  options: { category?: string; limit: number },
): Promise<number> {
  if (options.category !== undefined) {
    try {
      assertCategory(options.category);
    } catch (error) {
      throw new CliError(EXIT_CODES.usage, (error as Error).message);
    }
  }
  const redis = await context.redis();
  const prefix = await context.prefix();
  // A prefix of the stream-per-aggregate layout has no index keys: say so rather than "no streams".
  await checkLayout(redis, keyLayout(prefix), false);
  const scanned = await scanIndexKeys(redis, prefix, options.category);
  const all = scanned.streams;
  const shown = all.slice(0, options.limit);
  const corrupt = new Set(scanned.corrupt);
  const { output } = context;
  // In the table's output only: the JSON carries the same as `skipped` and `corrupt`.
  const notes = () => {
    if (scanned.notStrings.length > 0) {
      output.note(
        `skipped ${scanned.notStrings.length} key${scanned.notStrings.length === 1 ? "" : "s"} named like an aggregate index but not a string (not written by streamstore), e.g. ${scanned.notStrings[0]}`,
      );
    }
    if (scanned.corrupt.length > 0) {
      output.note(
        `${scanned.corrupt.length} aggregate index${scanned.corrupt.length === 1 ? " is" : "es are"} not whole ${INDEX_RECORD_BYTES}-byte records (written by hand; the store refuses to read ${scanned.corrupt.length === 1 ? "it" : "them"}), e.g. ${scanned.corrupt[0]}`,
      );
    }
  };
  if (all.length === 0 && !output.json) {
    output.line(
      `No streams under prefix "${prefix}"${options.category ? ` in category "${options.category}"` : ""}. Check --prefix (or the config's prefix).`,
    );
    notes();
    return EXIT_CODES.ok;
  }
  // Described and printed a page at a time (a table each): a large --limit never holds more
  // than one page of reads in flight, nor renders one table for everything (issue 14).
  const listing = pagedListing<StreamSummary>(output, {
    head: { prefix, total: all.length },
    field: "streams",
    columns: ["stream", "version", "last event", "partition"],
    row: (stream) => [
      stream.stream,
      stream.version,
      stream.lastEventAt ?? "-",
      `${stream.category}:${stream.partition}`,
    ],
  });
  for (let start = 0; start < shown.length; start += LIST_PAGE) {
    listing.page(
      await describeStreams(redis, prefix, shown.slice(start, start + LIST_PAGE), corrupt),
    );
  }
  listing.end({ skipped: scanned.notStrings.length, corrupt: scanned.corrupt });
  if (!output.json) {
    output.line(
      all.length > shown.length
        ? `${shown.length} of ${all.length} streams (raise --limit to see more)`
        : `${all.length} stream${all.length === 1 ? "" : "s"}`,
    );
    notes();
  }
  return EXIT_CODES.ok;
}
