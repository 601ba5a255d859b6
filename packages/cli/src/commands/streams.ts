import {
  assertCategory,
  decodeEntry,
  type EventCatalog,
  keyLayout,
  parseStreamName,
  partitionOf,
  type RawStreamEntry,
} from "@streamstore/core";
import { type Command, Option } from "commander";
import type { CommandContext } from "../context/CommandContext.js";
import { isCluster, type RedisClient, serversOf } from "../context/RedisClient.js";
import { CliError, EXIT_CODES } from "../exitCodes.js";
import type { ActionRunner } from "../program.js";
import { fieldsOf, integerOption, timeOfStreamId, truncate, withExamples } from "./shared.js";

/**
 * One aggregate stream as `streamstore streams` lists it.
 *
 * @example
 * const row: StreamSummary = { stream: "account-alice", category: "account", partition: 0, version: 7, lastEventAt: "2025-01-01T00:00:00.000Z", key: "ss:{account:0}:s:alice" };
 */
export interface StreamSummary {
  stream: string;
  category: string;
  partition: number;
  /** The stream's version (its last event's), also after trimming. */
  version: number;
  /** When the last event was committed (Redis's clock), or null when the stream was trimmed empty. */
  lastEventAt: string | null;
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

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Every aggregate stream key under the prefix (SCAN `<prefix>:{<category>:*}:s:*`), parsed; on a
 * Cluster, from every primary (a category's partitions are spread over them).
 *
 * @example
 * const streams = await scanStreamKeys(redis, "ss", "account");
 */
export async function scanStreamKeys(
  redis: RedisClient,
  prefix: string,
  category: string | undefined,
): Promise<Omit<StreamSummary, "version" | "lastEventAt">[]> {
  // Categories and prefixes never hold glob characters (assertCategory, assertKeyPrefix).
  const pattern = `${prefix}:{${category ?? "*"}:*}:s:*`;
  const parse = new RegExp(`^${escapeRegExp(prefix)}:\\{([^:{}]+):([0-9]+)\\}:s:(.+)$`);
  const found: Omit<StreamSummary, "version" | "lastEventAt">[] = [];
  for (const server of serversOf(redis)) {
    let cursor = "0";
    do {
      const [next, keys] = await server.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      cursor = next;
      for (const key of keys) {
        const match = parse.exec(key);
        if (!match) continue;
        const [, keyCategory, partition, id] = match as unknown as [string, string, string, string];
        found.push({
          stream: `${keyCategory}-${id}`,
          category: keyCategory,
          partition: Number(partition),
          key,
        });
      }
    } while (cursor !== "0");
  }
  return found.sort((left, right) => left.stream.localeCompare(right.stream));
}

/** Version and last commit time of streams, in one pipeline (XREVRANGE COUNT 1, XINFO when trimmed). */
async function describeStreams(
  redis: RedisClient,
  streams: Omit<StreamSummary, "version" | "lastEventAt">[],
): Promise<StreamSummary[]> {
  // A Cluster pipeline must stay on one node: one pipeline per partition, whose keys share a
  // hash tag and so a slot. A standalone server takes them all in one.
  const batches = new Map<string, typeof streams>();
  for (const stream of streams) {
    const batch = isCluster(redis) ? `${stream.category}:${stream.partition}` : "";
    batches.set(batch, [...(batches.get(batch) ?? []), stream]);
  }
  const replies = new Map<string, [Error | null, unknown]>();
  await Promise.all(
    [...batches.values()].map(async (batch) => {
      const pipeline = redis.pipeline();
      for (const stream of batch) pipeline.xrevrange(stream.key, "+", "-", "COUNT", 1);
      const batchReplies = (await pipeline.exec()) ?? [];
      for (const [index, stream] of batch.entries()) {
        replies.set(stream.key, batchReplies[index] ?? [null, []]);
      }
    }),
  );
  // The trimmed streams' XINFO all at once, not one await per stream.
  return Promise.all(
    streams.map(async (stream) => {
      const [error, reply] = replies.get(stream.key) ?? [null, []];
      const last = (error ? [] : (reply as RawStreamEntry[]))[0];
      let lastId = last?.[0];
      if (!lastId) {
        // Trimmed empty: the version survives in last-generated-id (docs/key-layout.md).
        const info = fieldsOf(await redis.call("XINFO", "STREAM", stream.key).catch(() => []));
        lastId = String(info.get("last-generated-id") ?? "0-0");
      }
      const position = last ? fieldsOf(last[1]).get("p") : undefined;
      return {
        ...stream,
        version: Number(lastId.split("-")[0]),
        lastEventAt: timeOfStreamId(position as string | undefined),
      };
    }),
  );
}

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
  const all = await scanStreamKeys(redis, prefix, options.category);
  const shown = await describeStreams(redis, all.slice(0, options.limit));
  const { output } = context;
  output.data({ prefix, total: all.length, streams: shown }, () => {
    if (all.length === 0) {
      output.line(
        `No streams under prefix "${prefix}"${options.category ? ` in category "${options.category}"` : ""}. Check --prefix (or the config's prefix).`,
      );
      return;
    }
    output.table(
      ["stream", "version", "last event", "partition"],
      shown.map((stream) => [
        stream.stream,
        stream.version,
        stream.lastEventAt ?? "-",
        `${stream.category}:${stream.partition}`,
      ]),
    );
    output.line(
      all.length > shown.length
        ? `${shown.length} of ${all.length} streams (raise --limit to see more)`
        : `${all.length} stream${all.length === 1 ? "" : "s"}`,
    );
  });
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
 * the store reads it), or shows it raw.
 *
 * @example
 * const event = showEntry(catalogs, entry, source);
 */
export function showEntry(
  catalogs: readonly EventCatalog[],
  entry: RawStreamEntry,
  source: { streamName: string; category: string; partition: number; kind: "stream" | "log" },
): ShownEvent & { stream: string } {
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
  const position = source.kind === "stream" ? String(fields.get("p") ?? "") : entry[0];
  return {
    stream:
      source.kind === "stream"
        ? source.streamName
        : `${source.category}-${String(fields.get("a") ?? "?")}`,
    version: Number(source.kind === "stream" ? entry[0].split("-")[0] : fields.get("v")),
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
  const count = await redis.hget(layout.categories(), parsed.category);
  const notFound = () =>
    new CliError(
      EXIT_CODES.notFound,
      `[streamstore] no stream "${name}" under prefix "${prefix}". Run \`streamstore streams --category ${parsed.category}\` to list the streams (and check --prefix).`,
    );
  if (count === null) throw notFound();
  const partition = partitionOf(parsed.id, Number(count));
  const key = layout.stream(parsed.category, partition, parsed.id);
  if ((await redis.exists(key)) === 0) throw notFound();
  const entries = (
    options.newestFirst
      ? await redis.xrevrange(
          key,
          options.from === undefined ? "+" : `${options.from}-0`,
          "-",
          "COUNT",
          options.limit,
        )
      : await redis.xrange(key, `${options.from ?? 1}-0`, "+", "COUNT", options.limit)
  ) as RawStreamEntry[];
  const [described] = await describeStreams(redis, [
    { stream: name, category: parsed.category, partition, key },
  ]);
  const catalogs = await catalogsOf(context);
  const events = entries.map((entry) => {
    const { stream: _stream, ...event } = showEntry(catalogs, entry, {
      streamName: name,
      category: parsed.category,
      partition,
      kind: "stream",
    });
    return event;
  });
  const { output } = context;
  output.data(
    {
      stream: name,
      category: parsed.category,
      partition,
      version: described?.version ?? 0,
      events,
    },
    () => {
      output.line(
        `${output.colors.bold(name)}  version ${described?.version ?? 0}  partition ${parsed.category}:${partition}  ${catalogs.length > 0 ? "decoded with the config's event catalog" : "raw JSON (no config event catalog)"}`,
      );
      output.table(
        ["version", "type", "time", "id", "data", "metadata"],
        events.map((event) => [
          event.version,
          event.type,
          event.time ?? "-",
          truncate(event.id, 40),
          truncate(JSON.stringify(event.data), 60),
          truncate(JSON.stringify(event.metadata), 40),
        ]),
      );
      const last = events[events.length - 1];
      if (events.length === options.limit && last) {
        const next = options.newestFirst ? last.version - 1 : last.version + 1;
        if (next >= 1 && next <= (described?.version ?? 0)) {
          output.line(
            `${events.length} events shown; continue with --from ${next}${options.newestFirst ? " --newest-first" : ""}`,
          );
        }
      }
    },
  );
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
        "Print a stream's events (version, type, time, id, data, metadata): decoded and upcast with the config's event catalog when it has one, raw JSON otherwise. Exit code 4 when the stream does not exist.",
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
