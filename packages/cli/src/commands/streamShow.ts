import {
  CorruptEventError,
  decodeEntry,
  type EntrySource,
  type EventCatalog,
  type RawStreamEntry,
} from "@streamstore/core";
import {
  type AggregateEntry,
  type AggregateReadState,
  checkLayout,
  keyLayout,
  parseStreamName,
  partitionOf,
  readAggregateEntries,
  readPartitionCount,
} from "@streamstore/core/internal";
import { type CommandContext, HOW_TO_GIVE_AN_ARCHIVE } from "../context/CommandContext.js";
import { CliError, EXIT_CODES } from "../exitCodes.js";
import { pagedListing } from "../output/pagedListing.js";
import { fieldsOf, timeOfStreamId, truncate } from "./shared.js";

// `streamstore stream show`: one stream's events, from Redis and then the archive.

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

export async function showStream(
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
