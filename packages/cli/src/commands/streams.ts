import {
  CorruptEventError,
  decodeEntry,
  type EntrySource,
  type EventCatalog,
  INDEX_HEADER_BYTES,
  INDEX_RECORD_BYTES,
  type RawStreamEntry,
  readAggregatePage,
} from "@streamstore/core";
import {
  type AggregateEntry,
  type AggregateReadState,
  assertCategory,
  checkLayout,
  indexVersion,
  keyLayout,
  parseStreamName,
  partitionOf,
  readAggregateEntries,
  readPartitionCount,
} from "@streamstore/core/internal";
import { type Command, Option } from "commander";
import type { ActionRunner } from "../context/ActionRunner.js";
import { type CommandContext, HOW_TO_GIVE_AN_ARCHIVE } from "../context/CommandContext.js";
import { type RedisClient, serversOf } from "../context/RedisClient.js";
import { CliError, EXIT_CODES } from "../exitCodes.js";
import { pagedListing } from "../output/pagedListing.js";
import { fieldsOf, integerOption, timeOfStreamId, truncate, withExamples } from "./shared.js";

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

/**
 * One event as `streamstore stream show` prints it.
 *
 * @example
 * const event: ShownEvent = { version: 1, type: "AccountOpened", time: "…", id: "…", position: "…", schemaVersion: 1, data: {}, metadata: {}, decoded: true };
 */
export interface ShownEvent {
  version: number;
  type: string;
  time: string | null;
  id: string;
  /** Its position in the category partition log. */
  position: string;
  /** The schema version it was stored with (decoded events are upcast to the current one). */
  schemaVersion: number;
  data: unknown;
  metadata: unknown;
  /** True when decoded (validated, upcast) with the config's event catalog; false: raw JSON. */
  decoded: boolean;
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

async function listStreams(
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

/**
 * The catalogs the config knows: its `events`, then its projections' catalogs.
 *
 * @example
 * const catalogs = await catalogsOf(context);
 */
export async function catalogsOf(context: CommandContext): Promise<EventCatalog[]> {
  const config = await context.config();
  return [
    ...(config.events ? [config.events] : []),
    ...(config.projections ?? []).map((projection) => projection.catalog as EventCatalog),
  ];
}

/**
 * Decodes a stored entry with the first catalog that knows its type (validated and upcast, as
 * the store reads it), or shows it raw. With kind "stream" the entry is a log entry read through
 * the aggregate's index (`source.version` is the version the index gives it); with kind "log" it
 * was read from a partition log, and names its aggregate and version itself.
 *
 * @example
 * const event = showEntry(catalogs, entry, { streamName: "account-alice", category: "account", partition: 0, kind: "stream", version: 1 });
 */
export function showEntry(
  catalogs: readonly EventCatalog[],
  entry: RawStreamEntry,
  source: EntrySource,
): ShownEvent & { stream: string } {
  if (entry[1] === null) {
    // The index names a position the log no longer holds: refused as the store's read refuses it.
    throw new CorruptEventError(
      source.streamName,
      source.version,
      entry[0],
      "the category log no longer holds it (trimmed or deleted there)",
    );
  }
  const fields = fieldsOf(entry[1]);
  const type = String(fields.get("t") ?? "?");
  const schemaVersion = Number(fields.get("s") ?? 1);
  const catalog = catalogs.find((candidate) => candidate.get(type) !== undefined);
  if (catalog) {
    const event = decodeEntry(catalog, entry, source);
    return {
      stream: event.streamName,
      version: event.version,
      type: event.type,
      time: event.timestamp.toISOString(),
      id: event.id,
      position: event.position,
      schemaVersion,
      data: event.data,
      metadata: event.metadata,
      decoded: true,
    };
  }
  const parse = (text: unknown) => {
    if (text === undefined) return {};
    try {
      return JSON.parse(String(text)) as unknown;
    } catch {
      return String(text);
    }
  };
  const position = entry[0];
  return {
    stream:
      source.kind === "stream"
        ? source.streamName
        : `${source.category}-${String(fields.get("a") ?? "?")}`,
    version: Number(source.kind === "stream" ? source.version : fields.get("v")),
    type,
    time: timeOfStreamId(position),
    id: String(fields.get("i") ?? ""),
    position,
    schemaVersion,
    data: parse(fields.get("d")),
    metadata: parse(fields.get("m")),
    decoded: false,
  };
}

/** Versions read per round trip by `stream show` (the store's default read page). */
const SHOW_PAGE = 1000;

/**
 * One event as `streamstore stream show` prints it, with the tier it was read from.
 *
 * @example
 * const event: ShownStreamEvent = { ...shown, from: "archive" };
 */
export type ShownStreamEvent = ShownEvent & {
  /** `redis`: still hot; `archive`: moved to the archive by the archiver. */
  from: "redis" | "archive";
};

async function showStream(
  context: CommandContext,
  name: string,
  options: { from?: number; limit: number; newestFirst?: boolean },
): Promise<number> {
  let parsed: ReturnType<typeof parseStreamName>;
  try {
    parsed = parseStreamName(name);
  } catch (error) {
    throw new CliError(EXIT_CODES.usage, (error as Error).message);
  }
  const redis = await context.redis();
  const prefix = await context.prefix();
  const layout = keyLayout(prefix);
  await checkLayout(redis, layout, false);
  const notFound = () =>
    new CliError(
      EXIT_CODES.notFound,
      `[streamstore] no stream "${name}" under prefix "${prefix}". Run \`streamstore streams --category ${parsed.category}\` to list the streams (and check --prefix).`,
    );
  // Checked as read: a hand-written count is a typed error naming the registry key and field.
  const count = await readPartitionCount(redis, layout, parsed.category);
  if (count === undefined) throw notFound();
  const partition = partitionOf(parsed.id, count);
  const location = {
    streamName: name,
    indexKey: layout.index(parsed.category, partition, parsed.id),
    logKey: layout.log(parsed.category, partition),
  };
  const archive = await context.archive();
  const catalogs = await catalogsOf(context);
  const { output } = context;
  // Page by page, as the store reads: hot versions through the index (one round trip each),
  // archived ones from the archive; forward from --from (default 1), backward from --from
  // (default the newest) down to version 1. Each page is printed before the next is read, so
  // memory stays one page whatever --limit says (issue 14).
  const read: AggregateReadState = { version: 0, archived: 0, skippedArchived: false };
  const entries = readAggregateEntries(
    redis,
    archive,
    location,
    {
      direction: options.newestFirst ? "backward" : "forward",
      lowest: options.newestFirst ? 1 : (options.from ?? 1),
      to: options.newestFirst ? options.from : undefined,
      limit: options.limit,
      pageSize: SHOW_PAGE,
      withoutArchive: "skip",
    },
    read,
  );
  const show = ({ version: entryVersion, entry, from }: AggregateEntry): ShownStreamEvent => {
    const { stream: _stream, ...event } = showEntry(catalogs, entry, {
      streamName: name,
      category: parsed.category,
      partition,
      kind: "stream",
      version: entryVersion,
    });
    return { ...event, from };
  };
  const listing = pagedListing<ShownStreamEvent>(output, {
    head: { stream: name, category: parsed.category, partition },
    field: "events",
    columns: ["version", "type", "time", "id", "data", "metadata"],
    row: (event) => [
      event.from === "archive" ? `${event.version} (archive)` : event.version,
      event.type,
      event.time ?? "-",
      truncate(event.id, 40),
      truncate(JSON.stringify(event.data), 60),
      truncate(JSON.stringify(event.metadata), 40),
    ],
    before: () =>
      output.line(
        `${output.colors.bold(name)}  version ${read.version}${read.archived > 0 ? ` (${read.archived} archived)` : ""}  partition ${parsed.category}:${partition}  ${catalogs.length > 0 ? "decoded with the config's event catalog" : "raw JSON (no config event catalog)"}`,
      ),
  });
  let page: ShownStreamEvent[] = [];
  let last: ShownStreamEvent | undefined;
  for await (const entry of entries) {
    // Nothing is printed before the first page said whether the stream exists.
    page.push(show(entry));
    if (page.length === SHOW_PAGE) {
      listing.page(page);
      last = page[page.length - 1];
      page = [];
    }
  }
  if (read.version === 0) throw notFound();
  listing.page(page);
  last = page[page.length - 1] ?? last;
  const { version, archived } = read;
  listing.end({ version, archived, archive: (await context.archiveForDisplay()) ?? null });
  if (!output.json && listing.count === options.limit && last) {
    const next = options.newestFirst ? last.version - 1 : last.version + 1;
    if (next >= 1 && next <= version && (archive || next > archived)) {
      output.line(
        `${listing.count} events shown; continue with --from ${next}${options.newestFirst ? " --newest-first" : ""}`,
      );
    }
  }
  const archivedRange = archived === 1 ? "version 1 is" : `versions 1-${archived} are`;
  // On stderr with --json too: the JSON alone would look like a stream that starts later.
  if (read.skippedArchived) {
    output.note(
      `${archivedRange} archived (moved out of Redis by the archiver) and not shown: no archive was given. To see ${archived === 1 ? "it" : "them"}, ${HOW_TO_GIVE_AN_ARCHIVE}.`,
    );
  }
  return EXIT_CODES.ok;
}

/**
 * Registers `streamstore streams` and `streamstore stream show`.
 *
 * @example
 * registerStreams(program, runAction);
 */
export function registerStreams(program: Command, runAction: ActionRunner): void {
  withExamples(
    program
      .command("streams")
      .description("List aggregate streams with their version and last event time.")
      .option("--category <category>", "only this category's streams")
      .addOption(
        new Option("--limit <n>", "at most n streams (sorted by name)")
          .argParser(integerOption("--limit", 1))
          .default(100),
      ),
    ["streamstore streams --category account --limit 20", "streamstore streams --json"],
  ).action(
    runAction((context, options: { category?: string; limit: number }) =>
      listStreams(context, options),
    ),
  );

  const stream = program.command("stream").description("Inspect one aggregate stream.");
  withExamples(
    stream
      .command("show")
      .argument("<name>", "the stream name, <category>-<id> (e.g. account-alice)")
      .description(
        "Print a stream's events (version, type, time, id, data, metadata): decoded and upcast with the config's event catalog when it has one, raw JSON otherwise. Versions the archiver moved out of Redis are read from the archive (--archive-url, STREAMSTORE_ARCHIVE_URL or the config's archive); without one they are skipped, and said so. Exit code 4 when the stream does not exist.",
      )
      .addOption(
        new Option("--from <version>", "first version to show").argParser(
          integerOption("--from", 1),
        ),
      )
      .addOption(
        new Option("--limit <n>", "at most n events")
          .argParser(integerOption("--limit", 1))
          .default(100),
      )
      .option("--newest-first", "newest event first (from --from downwards)"),
    [
      "streamstore stream show account-alice",
      "streamstore stream show account-alice --newest-first --limit 5",
      "streamstore stream show account-alice --from 3 --json",
    ],
  ).action(
    runAction(
      (context, name: string, options: { from?: number; limit: number; newestFirst?: boolean }) =>
        showStream(context, name, options),
    ),
  );
}
