import type { RawStreamEntry } from "@streamstore/core";
import {
  checkLayout,
  keyLayout,
  readCategoryRegistry,
  readPartitionCount,
  registryPartitions,
} from "@streamstore/core/internal";
import type { Command } from "commander";
import { archiveFigures, partitionKey, readSeams } from "../archive/partitionTiers.js";
import type { ActionRunner } from "../context/ActionRunner.js";
import { type CommandContext, HOW_TO_GIVE_AN_ARCHIVE } from "../context/CommandContext.js";
import { isCluster, type RedisClient } from "../context/RedisClient.js";
import { CliError, EXIT_CODES } from "../exitCodes.js";
import { fieldsOf, formatBytes, sleep, timeOfStreamId, withExamples } from "./shared.js";
import { catalogsOf, showEntry } from "./streams.js";

/**
 * One partition log of a category as `streamstore categories` reports it.
 *
 * @example
 * const row: PartitionLogSummary = { category: "account", partition: 0, key: "ss:{account:0}:log", length: 12, entriesAdded: 12, lastEntryAt: null, memoryBytes: 2048, groups: [] };
 */
export interface PartitionLogSummary {
  category: string;
  partition: number;
  key: string;
  /** Entries in the log now (XLEN; less than entriesAdded after trimming). */
  length: number;
  /** Entries ever added (XINFO STREAM entries-added). */
  entriesAdded: number;
  lastEntryAt: string | null;
  /** MEMORY USAGE of the log, or null when the user may not run it. */
  memoryBytes: number | null;
  /** Consumer groups reading the log (projections: `rm:<name>:<build>`). */
  groups: { name: string; consumers: number; pending: number; lag: number | null }[];
  /** Events the archiver moved out of this log (Redis's seam hash `events`; 0 before any). */
  archivedEvents: number;
  /** The seam: every entry up to this position is in the archive only (null before any). */
  seamPosition: string | null;
  /** Events the archive holds for this partition (archive.stats()); null without an archive. */
  archiveEvents: number | null;
  /** Their bytes as the archive measures them; null without an archive. */
  archiveBytes: number | null;
}

/** Partition logs read (and rows printed) per page by `categories`. */
const LOG_PAGE = 256;

async function categories(context: CommandContext): Promise<number> {
  const redis = await context.redis();
  const prefix = await context.prefix();
  const layout = keyLayout(prefix);
  // A prefix of the stream-per-aggregate layout: say so rather than report its logs as this one's.
  await checkLayout(redis, layout, false);
  // Each count checked as read: an entry written by hand (100000000, 1e10, -1, abc) is reported,
  // and the other categories are listed (issue 14).
  const registry = await readCategoryRegistry(redis, layout);
  for (const error of registry.invalid) context.output.note(error.message);
  let memoryDenied = false;
  const partitions = registryPartitions(registry);
  // The archive's figures (one query over its table) while Redis is read; a failure of the
  // archive leaves Redis's side to show, and is said.
  const archive = await context.archive();
  const where = (await context.archiveForDisplay()) ?? null;
  let archiveError: string | null = null;
  const figuresRead = archive
    ? archiveFigures(archive).catch((error: unknown) => {
        archiveError = context.redact((error as Error).message);
        return undefined;
      })
    : Promise.resolve(undefined);
  // A page of logs at once rather than one await per log: ioredis writes the commands without
  // waiting for replies, so a page costs one round trip (each routed to its slot on a Cluster);
  // pages keep what is in flight bounded however many partitions the registry lists.
  const readLog = async ({
    category,
    partition,
  }: {
    category: string;
    partition: number;
  }): Promise<PartitionLogSummary> => {
    const key = layout.log(category, partition);
    const [info, groups, memory] = await Promise.all([
      redis.call("XINFO", "STREAM", key).catch(() => []),
      redis.call("XINFO", "GROUPS", key).catch(() => []),
      // MEMORY USAGE is in the operator ACL rule, not the runtime one: "-" for a runtime user.
      redis.call("MEMORY", "USAGE", key).catch(() => {
        memoryDenied = true;
        return null;
      }),
    ]);
    const fields = fieldsOf(info);
    return {
      category,
      partition,
      key,
      length: Number(fields.get("length") ?? 0),
      entriesAdded: Number(fields.get("entries-added") ?? 0),
      lastEntryAt: timeOfStreamId(String(fields.get("last-generated-id") ?? "")),
      memoryBytes: memory === null ? null : Number(memory),
      groups: (groups as unknown[]).map((group) => {
        const g = fieldsOf(group);
        return {
          name: String(g.get("name")),
          consumers: Number(g.get("consumers") ?? 0),
          pending: Number(g.get("pending") ?? 0),
          lag: g.get("lag") === null || g.get("lag") === undefined ? null : Number(g.get("lag")),
        };
      }),
      archivedEvents: 0,
      seamPosition: null,
      archiveEvents: null,
      archiveBytes: null,
    };
  };
  const logs: PartitionLogSummary[] = [];
  const seams: Awaited<ReturnType<typeof readSeams>> = [];
  for (let start = 0; start < partitions.length; start += LOG_PAGE) {
    const page = partitions.slice(start, start + LOG_PAGE);
    const [pageLogs, pageSeams] = await Promise.all([
      Promise.all(page.map(readLog)),
      readSeams(redis, layout, page),
    ]);
    logs.push(...pageLogs);
    seams.push(...pageSeams);
  }
  const figures = await figuresRead;
  for (const [index, log] of logs.entries()) {
    const seam = seams[index];
    log.archivedEvents = seam?.events ?? 0;
    log.seamPosition = seam?.position ?? null;
    if (figures) {
      const held = figures.get(partitionKey(log.category, log.partition));
      log.archiveEvents = held?.events ?? 0;
      log.archiveBytes = held?.bytes ?? 0;
    }
  }
  // The archive's columns when there is one to show, or when Redis says events were archived.
  const showArchive = archive !== undefined || logs.some((log) => log.archivedEvents > 0);
  const { output } = context;
  const added = new Map<string, number>();
  for (const log of logs)
    added.set(log.category, (added.get(log.category) ?? 0) + log.entriesAdded);
  const summary = registry.categories.map(({ category, partitions: count }) => ({
    category,
    partitions: count,
    entriesAdded: added.get(category) ?? 0,
  }));
  output.data({ prefix, archive: where, archiveError, categories: summary, logs }, () => {
    if (logs.length === 0) {
      output.line(
        `No categories under prefix "${prefix}". Check --prefix (or the config's prefix).`,
      );
      return;
    }
    // A table per page of logs: never one table for everything.
    for (let start = 0; start < logs.length; start += LOG_PAGE)
      output.table(
        [
          "category",
          "partition",
          "length",
          "entries added",
          "last entry",
          "memory",
          ...(showArchive ? ["archived", "archive size"] : []),
          "groups",
        ],
        logs
          .slice(start, start + LOG_PAGE)
          .map((log) => [
            log.category,
            log.partition,
            log.length,
            log.entriesAdded,
            log.lastEntryAt ?? "-",
            log.memoryBytes === null ? "-" : `${(log.memoryBytes / 1024).toFixed(1)} KiB`,
            ...(showArchive
              ? [
                  log.archiveEvents === null || log.archiveEvents === log.archivedEvents
                    ? log.archivedEvents
                    : `${log.archivedEvents} (archive holds ${log.archiveEvents})`,
                  log.archiveBytes === null ? "-" : formatBytes(log.archiveBytes),
                ]
              : []),
            log.groups.length === 0
              ? "-"
              : log.groups
                  .map(
                    (group) =>
                      `${group.name} (${group.consumers} consumers, ${group.pending} pending${group.lag === null ? "" : `, lag ${group.lag}`})`,
                  )
                  .join(output.lineBreak),
          ]),
      );
    if (memoryDenied) {
      output.note(
        `memory: MEMORY USAGE is not allowed to this Redis user; the operator ACL rule allows it (\`streamstore doctor --prefix ${prefix}\` prints it).`,
      );
    }
    if (archiveError) {
      output.note(`archive size: the archive could not be read: ${archiveError}`);
    } else if (!archive && showArchive) {
      output.note(
        `archived: events the archiver moved out of Redis (length and memory are what is still there). To see the archive's size, ${HOW_TO_GIVE_AN_ARCHIVE}.`,
      );
    }
  });
  return EXIT_CODES.ok;
}

async function tail(
  context: CommandContext,
  category: string,
  options: { from: "now" | "start" },
): Promise<number> {
  const signal = context.interrupt();
  const redis = await context.redis();
  const prefix = await context.prefix();
  const layout = keyLayout(prefix);
  await checkLayout(redis, layout, false);
  // Checked as read: a hand-written count is a typed error naming the registry key and field.
  const count = await readPartitionCount(redis, layout, category);
  if (count === undefined) {
    const known = (await readCategoryRegistry(redis, layout)).categories.map(
      (entry) => entry.category,
    );
    throw new CliError(
      EXIT_CODES.notFound,
      `[streamstore] no category "${category}" under prefix "${prefix}"${known.length > 0 ? ` (known: ${known.join(", ")})` : ""}. Run \`streamstore categories\`, or check --prefix.`,
    );
  }
  const keys = Array.from({ length: count }, (_, partition) => layout.log(category, partition));
  const positions = await Promise.all(
    keys.map(async (key) => {
      if (options.from === "start") return "0-0";
      // Explicit ids, never "$" in the loop: "$" between two reads would skip what came between.
      const [last] = (await redis.xrevrange(key, "+", "-", "COUNT", 1)) as RawStreamEntry[];
      return last?.[0] ?? "0-0";
    }),
  );
  const catalogs = await catalogsOf(context);
  const { output } = context;
  // On stderr also with --json: the sign (for people and for scripts) that the start positions are
  // taken, so that anything appended from now on is printed.
  output.note(
    `Tailing category "${category}" (${keys.length} partition${keys.length === 1 ? "" : "s"}) from ${options.from}; Ctrl-C to stop.`,
  );
  let shown = 0;
  const show = (partition: number, entry: RawStreamEntry) => {
    positions[partition] = entry[0];
    const event = showEntry(catalogs, entry, {
      streamName: `${category}:${partition}`,
      category,
      partition,
      kind: "log",
    });
    shown++;
    if (output.json) {
      // One JSON document per line (NDJSON): a tail has no end to close an array at.
      output.jsonLine({ partition, ...event });
    } else {
      output.line(
        `${event.time ?? "-"}  ${category}:${partition}  ${event.stream}@${event.version}  ${output.colors.bold(event.type)}  ${JSON.stringify(event.data)}`,
      );
    }
  };
  // One XREAD over every log on a standalone server. On a Cluster the logs are on different slots
  // (CROSSSLOT for one XREAD, even on one node), so each log gets its own reader (issue 7).
  const partitionsOfReaders = isCluster(redis)
    ? keys.map((_, partition) => [partition])
    : [keys.map((_, partition) => partition)];
  // A connection of its own per reader: XREAD BLOCK holds it, and no consumer group is touched (a
  // tail must never move a projection's or reactor's delivery state).
  const readers = partitionsOfReaders.map((partitions) => {
    const reader: RedisClient = isCluster(redis) ? redis.duplicate() : redis.duplicate();
    reader.on("error", () => {});
    return { reader, partitions };
  });
  const follow = async ({ reader, partitions }: (typeof readers)[number]) => {
    const readerKeys = partitions.map((partition) => keys[partition] as string);
    while (!signal.aborted) {
      const reply = (await reader.xread(
        "COUNT",
        500,
        "BLOCK",
        500,
        "STREAMS",
        ...readerKeys,
        ...partitions.map((partition) => positions[partition] as string),
      )) as [string, RawStreamEntry[]][] | null;
      for (const [key, entries] of reply ?? []) {
        const partition = keys.indexOf(key);
        for (const entry of entries) show(partition, entry);
      }
      if (!reply) await sleep(0, signal);
    }
  };
  try {
    await Promise.all(readers.map(follow));
  } finally {
    for (const { reader } of readers) reader.disconnect();
  }
  if (!output.json) output.note(`Stopped after ${shown} event${shown === 1 ? "" : "s"}.`);
  return EXIT_CODES.ok;
}

/**
 * Registers `streamstore categories` and `streamstore tail`.
 *
 * @example
 * registerCategories(program, runAction);
 */
export function registerCategories(program: Command, runAction: ActionRunner): void {
  withExamples(
    program
      .command("categories")
      .description(
        "List categories with their partitions: log length, entries added, memory, consumer groups; with an archive (or once events were archived), the events archived and the archive's size.",
      ),
    ["streamstore categories", "streamstore categories --json | jq '.logs[] | .memoryBytes'"],
  ).action(runAction((context) => categories(context)));

  withExamples(
    program
      .command("tail")
      .argument("<category>", "the category to follow (all its partition logs)")
      .description(
        "Print a category's events as they are appended, across its partition logs (XREAD BLOCK, no consumer group), until Ctrl-C, which ends with exit code 0. With --json: one JSON object per line.",
      )
      .option(
        "--from <from>",
        "now: only new events; start: every event in the logs, then new ones",
        "now",
      ),
    ["streamstore tail account", "streamstore tail account --from start --json | jq .type"],
  ).action(
    runAction((context, category: string, options: { from: string }) => {
      if (options.from !== "now" && options.from !== "start") {
        throw new CliError(
          EXIT_CODES.usage,
          `[streamstore] --from must be "now" or "start", not "${options.from}".`,
        );
      }
      return tail(context, category, { from: options.from });
    }),
  );
}
