import { hostname } from "node:os";
import {
  type ArchivePolicy,
  type ArchiverOptions,
  type ArchiverPartitionProgress,
  startArchiver,
} from "@streamstore/archive";
import { type EventArchive, isInvalidArgumentError } from "@streamstore/core";
import {
  assertCategory,
  checkLayout,
  keyLayout,
  readCategoryRegistry,
  registryPartitions,
} from "@streamstore/core/internal";
import { type Command, Option } from "commander";
import {
  type ArchiveFigures,
  archiveFigures,
  leaseHolderOf,
  type PartitionTiers,
  partitionKey,
  readSeams,
} from "../archive/partitionTiers.js";
import type { ActionRunner } from "../context/ActionRunner.js";
import { type CommandContext, HOW_TO_GIVE_AN_ARCHIVE } from "../context/CommandContext.js";
import { CliError, EXIT_CODES } from "../exitCodes.js";
import {
  durationOption,
  formatBytes,
  formatDuration,
  integerOption,
  sleep,
  withExamples,
} from "./shared.js";

/**
 * One category partition as `streamstore archive status` reports it: what Redis holds (hot),
 * where the seam is, what the archive holds, and who archives it.
 *
 * @example
 * const row: ArchivePartitionStatus = { category: "account", partition: 0, log: "ss:{account:0}:log", hotEntries: 50, hotBytes: 9120, archivedEvents: 1200, seamPosition: "1795641141263-0", seamAt: "2026-11-25T21:12:21.263Z", archiveEvents: 1200, archiveBytes: 301200, archiveLastPosition: "1795641141263-0", lease: null };
 */
export interface ArchivePartitionStatus extends PartitionTiers {
  /** The partition log's key. */
  log: string;
  /** The highest position the archive holds; null without an archive or when it has none. */
  archiveLastPosition: string | null;
  /** The archiver holding the partition's lease (its worker id), or null. */
  lease: string | null;
}

/**
 * What `streamstore archive run` reports while it runs (its `--json` progress lines, on stderr)
 * and when it ends (the summary on stdout).
 *
 * @example
 * const progress: ArchiveRunProgress = { archived: 1200, eventsPerSecond: 4100, seconds: 0.3, partitions: [] };
 */
export interface ArchiveRunProgress {
  /** Events this run moved to the archive and trimmed from Redis. */
  archived: number;
  /** Archived per second: over the last 5 s while running, over the whole run in the summary. */
  eventsPerSecond: number;
  seconds: number;
  /** Per category partition the archiver has looked at (`archiver.progress()`). */
  partitions: ArchiverPartitionProgress[];
}

/** The span `archive run`'s progress rate is measured over. */
const RATE_WINDOW_MS = 5_000;

/** Options of `streamstore archive run`. */
interface ArchiveRunOptions {
  keepEvents?: number;
  keep?: number;
  category?: string[];
  minAge?: number;
  untilIdle?: boolean;
  interval: number;
}

/** An archive, or exit code 2 with how to give one. */
async function requireArchive(context: CommandContext, command: string): Promise<EventArchive> {
  const archive = await context.archive();
  if (!archive) {
    throw new CliError(
      EXIT_CODES.usage,
      `[streamstore] ${command} needs an archive (the PostgreSQL database archived events go to): ${HOW_TO_GIVE_AN_ARCHIVE}.`,
    );
  }
  return archive;
}

function checkedCategories(categories: readonly string[] | undefined): string[] | undefined {
  if (categories === undefined || categories.length === 0) return undefined;
  return categories.map((category) => {
    try {
      return assertCategory(category);
    } catch (error) {
      throw new CliError(EXIT_CODES.usage, (error as Error).message);
    }
  });
}

/**
 * The policies of a run: the flags' (for `--category` or every category), else the config's
 * `archiver.policies` (limited to `--category`). Exit code 2 when neither says what stays hot.
 */
function policiesOf(
  options: ArchiveRunOptions,
  configured: ArchiverOptions["policies"] | undefined,
): ArchiverOptions["policies"] {
  const categories = checkedCategories(options.category);
  if (options.keepEvents !== undefined || options.keep !== undefined) {
    const policy: ArchivePolicy = {
      ...(options.keepEvents !== undefined ? { keepEvents: options.keepEvents } : {}),
      ...(options.keep !== undefined ? { keepMs: options.keep } : {}),
    };
    return categories
      ? Object.fromEntries(categories.map((category) => [category, policy]))
      : { default: policy };
  }
  if (!configured) {
    throw new CliError(
      EXIT_CODES.usage,
      "[streamstore] say what stays hot in Redis: --keep-events <n> (each partition's newest events) and/or --keep <duration> (like 7d), or `archiver: { policies }` in the config module.",
    );
  }
  if (!categories) return configured;
  return Object.fromEntries(
    categories.map((category) => {
      const policy = configured[category] ?? configured.default;
      if (!policy) {
        throw new CliError(
          EXIT_CODES.usage,
          `[streamstore] the config's archiver.policies has no policy for category "${category}" (and no default): pass --keep-events or --keep.`,
        );
      }
      return [category, policy];
    }),
  );
}

function describePolicies(policies: ArchiverOptions["policies"], minAgeMs: number): string {
  const parts = Object.entries(policies)
    .filter((entry): entry is [string, ArchivePolicy] => entry[1] !== undefined)
    .sort(([left], [right]) => (left === "default" ? 1 : right === "default" ? -1 : 0))
    .map(([category, policy]) => {
      const keeps = [
        ...(policy.keepEvents !== undefined && policy.keepEvents > 0
          ? [`the newest ${policy.keepEvents} events of each partition`]
          : []),
        ...(policy.keepMs !== undefined ? [`${formatDuration(policy.keepMs)}`] : []),
      ];
      const who = category === "default" ? "every other category" : category;
      return `${Object.keys(policies).length === 1 && category === "default" ? "every category" : who} keeps ${keeps.length > 0 ? keeps.join(" and ") : "nothing more"}`;
    });
  return `${parts.join("; ")}; nothing younger than ${formatDuration(minAgeMs)}`;
}

function partitionLine(progress: ArchiverPartitionProgress): string {
  const name = `${progress.category}:${progress.partition}`;
  if (progress.state === "failed") return `${name} failed (${progress.error ?? "?"})`;
  if (progress.state === "standby") return `${name} standby (another archiver holds it)`;
  return `${name}: ${progress.archived} archived, seam ${progress.through ?? "none yet"}`;
}

function progressLine(progress: ArchiveRunProgress): string {
  const partitions = progress.partitions.map(partitionLine).join(", ");
  return `archived ${progress.archived} events, ${progress.eventsPerSecond} ev/s${partitions ? ` | ${partitions}` : ""}`;
}

/**
 * Resolves true once the archiver has found nothing left to archive, false when `signal` aborted
 * first. `waitUntilIdle` rejects after its timeout when passes are still archiving: asked again,
 * with a longer timeout each time (a pass may take long), until it resolves. The first timeout is
 * short (two idle passes: twice `idleMs`, and a second for the passes) because the timer of a
 * pending wait outlives `stop()` and keeps the process up after Ctrl-C until it fires.
 */
async function untilIdle(
  archiver: ReturnType<typeof startArchiver>,
  idleMs: number,
  signal: AbortSignal,
): Promise<boolean> {
  let timeoutMs = Math.max(3_000, 2 * idleMs + 1_000);
  while (!signal.aborted) {
    try {
      await archiver.waitUntilIdle({ timeoutMs });
      return true;
    } catch {
      timeoutMs = Math.min(timeoutMs * 2, 300_000);
    }
  }
  return false;
}

async function runArchiver(context: CommandContext, options: ArchiveRunOptions): Promise<number> {
  const archive = await requireArchive(context, "archive run");
  const config = await context.config();
  const { policies: configuredPolicies, ...configured } = config.archiver ?? {};
  const policies = policiesOf(options, configuredPolicies);
  const signal = context.interrupt();
  const redis = await context.redis();
  const prefix = await context.prefix();
  const keys = keyLayout(prefix);
  await checkLayout(redis, keys, false);
  const where = (await context.archiveForDisplay()) as string;
  // Unreachable (or of another schema version): say so now, as the typed error, rather than have
  // the archiver retry in the background while the progress line shows nothing.
  const [{ category: someCategory } = { category: "streamstore" }] = (
    await readCategoryRegistry(redis, keys)
  ).categories;
  await archive.lastPosition(someCategory, 0);
  const workerId = configured.workerId ?? `streamstore-cli@${hostname()}:${process.pid}`;
  const settings: ArchiverOptions = {
    ...configured,
    ...(options.minAge !== undefined ? { minAgeMs: options.minAge } : {}),
    policies,
    workerId,
    redis,
    archive,
    prefix,
    logger: context.logger,
  };
  let archiver: ReturnType<typeof startArchiver>;
  try {
    archiver = startArchiver(settings);
  } catch (error) {
    if (isInvalidArgumentError(error)) {
      throw new CliError(EXIT_CODES.usage, (error as Error).message);
    }
    throw error;
  }
  const { output } = context;
  const minAgeMs = settings.minAgeMs ?? 600_000;
  output.note(
    `Archiving prefix "${prefix}" into ${where} (worker ${workerId}): ${describePolicies(policies, minAgeMs)}. ${options.untilIdle ? "Stops once nothing is left to archive; " : ""}Ctrl-C to stop.`,
  );
  const startedAt = performance.now();
  // The rate while running is over the last RATE_WINDOW_MS (the whole run's average would still
  // show thousands of events per second an hour after the backlog was done); the summary's is
  // the whole run's.
  const recent: { at: number; archived: number }[] = [];
  const snapshot = (overall = false): ArchiveRunProgress => {
    const partitions = archiver.progress();
    const archived = partitions.reduce((sum, partition) => sum + partition.archived, 0);
    const now = performance.now();
    const seconds = (now - startedAt) / 1000;
    recent.push({ at: now, archived });
    while (recent.length > 2 && now - (recent[1] as { at: number }).at >= RATE_WINDOW_MS)
      recent.shift();
    const [oldest = { at: startedAt, archived: 0 }] = overall ? [] : recent;
    const window = (now - oldest.at) / 1000;
    return {
      archived,
      eventsPerSecond: window > 0 ? Math.round((archived - oldest.archived) / window) : 0,
      seconds: Number(seconds.toFixed(1)),
      partitions,
    };
  };
  // A terminal gets one line redrawn in place; a pipe gets a line (or a JSON line) per change.
  const redraw = context.stderrIsTTY && !output.json;
  let lastShown = "";
  const report = () => {
    const progress = snapshot();
    const line = progressLine(progress);
    if (redraw) {
      output.progress(line);
      return;
    }
    // The rate changes every interval: a new line only when the work or a state did.
    const changed = JSON.stringify(progress.partitions);
    if (changed === lastShown) return;
    lastShown = changed;
    if (output.json) output.jsonLine({ progress }, "stderr");
    else output.note(`progress: ${line}`);
  };
  const stopWaiting = new AbortController();
  const stopOnInterrupt = () => stopWaiting.abort();
  signal.addEventListener("abort", stopOnInterrupt, { once: true });
  const idleMs = settings.idleMs ?? 1000;
  let reachedIdle = false;
  if (options.untilIdle) {
    void untilIdle(archiver, idleMs, stopWaiting.signal).then((reached) => {
      reachedIdle = reached;
      if (reached) stopWaiting.abort();
    });
  }
  let failed: ArchiverPartitionProgress | undefined;
  try {
    while (!stopWaiting.signal.aborted) {
      report();
      // A run that must end by itself ends on a failure too: waiting for idle would never end.
      failed = options.untilIdle
        ? archiver.progress().find((partition) => partition.state === "failed")
        : undefined;
      if (failed) break;
      await sleep(options.interval, stopWaiting.signal);
    }
  } finally {
    stopWaiting.abort();
    signal.removeEventListener("abort", stopOnInterrupt);
    // Finishes the step under way (archived and trimmed, or neither) and releases the leases.
    await archiver.stop();
  }
  const progress = snapshot(true);
  if (redraw) {
    report();
    output.endProgress();
  }
  const status = failed ? "failed" : reachedIdle ? "idle" : "interrupted";
  const summary = { prefix, archive: where, status, ...progress };
  if (status === "idle") {
    output.data(summary, () =>
      output.line(
        `Archived ${progress.archived} events in ${progress.seconds} s (${progress.eventsPerSecond} ev/s): nothing is left to archive under the policies. Leases released.`,
      ),
    );
    return EXIT_CODES.ok;
  }
  if (output.json) output.data(summary, () => {});
  if (failed) {
    output.note(
      `[streamstore] the archiver failed on ${failed.category}:${failed.partition}: ${failed.error ?? "unknown error"}. Stopped after archiving ${progress.archived} events (nothing is trimmed from Redis before the archive has committed it; leases released). Fix the cause and run the command again.`,
    );
    return EXIT_CODES.failure;
  }
  output.note(
    `[streamstore] stopped by Ctrl-C after archiving ${progress.archived} events in ${progress.seconds} s: the step under way was finished and the leases released. Run the command again to carry on.`,
  );
  return EXIT_CODES.interrupted;
}

async function archiveStatus(context: CommandContext): Promise<number> {
  const redis = await context.redis();
  const prefix = await context.prefix();
  const keys = keyLayout(prefix);
  await checkLayout(redis, keys, false);
  const archive = await context.archive();
  const where = (await context.archiveForDisplay()) ?? null;
  // Counts checked as read: an entry written by hand is reported, the others shown (issue 14).
  const registry = await readCategoryRegistry(redis, keys);
  for (const error of registry.invalid) context.output.note(error.message);
  const figures: Map<string, ArchiveFigures> | undefined = archive
    ? await archiveFigures(archive)
    : undefined;
  const partitions = registryPartitions(registry);
  // Partitions the archive holds and this prefix does not know (another store's, sharing it).
  const known = new Set(
    partitions.map(({ category, partition }) => partitionKey(category, partition)),
  );
  const foreign = [...(figures?.keys() ?? [])].filter((key) => !known.has(key));
  let memoryDenied = false;
  const [seams, redisSide] = await Promise.all([
    readSeams(redis, keys, partitions),
    Promise.all(
      partitions.map(({ category, partition }) => {
        const log = keys.log(category, partition);
        return Promise.all([
          redis.xlen(log),
          redis.call("MEMORY", "USAGE", log).catch(() => {
            memoryDenied = true;
            return null;
          }),
          redis.get(keys.archiver(category, partition)),
        ]);
      }),
    ),
  ]);
  const rows: ArchivePartitionStatus[] = partitions.map(({ category, partition }, index) => {
    const seam = seams[index] as (typeof seams)[number];
    const [hotEntries, memory, lease] = redisSide[index] as [number, unknown, string | null];
    const held = figures?.get(partitionKey(category, partition));
    return {
      category,
      partition,
      log: keys.log(category, partition),
      hotEntries,
      hotBytes: memory === null || memory === undefined ? null : Number(memory),
      archivedEvents: seam.events,
      seamPosition: seam.position,
      seamAt: seam.at,
      archiveEvents: figures ? (held?.events ?? 0) : null,
      archiveBytes: figures ? (held?.bytes ?? 0) : null,
      archiveLastPosition: held?.lastPosition ?? null,
      lease: leaseHolderOf(lease),
    };
  });
  const sum = (pick: (row: ArchivePartitionStatus) => number | null) =>
    rows.some((row) => pick(row) === null)
      ? null
      : rows.reduce((total, row) => total + (pick(row) as number), 0);
  const totals = {
    hotEntries: sum((row) => row.hotEntries),
    hotBytes: sum((row) => row.hotBytes),
    archivedEvents: sum((row) => row.archivedEvents),
    archiveEvents: sum((row) => row.archiveEvents),
    archiveBytes: sum((row) => row.archiveBytes),
  };
  const { output } = context;
  output.data(
    {
      prefix,
      archive: where,
      partitions: rows,
      totals,
      otherPartitionsInArchive: foreign.map((key) => key.replace("\n", ":")),
    },
    () => {
      if (rows.length === 0) {
        output.line(
          `No categories under prefix "${prefix}". Check --prefix (or the config's prefix).`,
        );
      } else {
        output.line(
          `${output.colors.bold("streamstore archive status")}  prefix "${prefix}"  archive ${where ?? "not given"}`,
        );
        output.table(
          [
            "category",
            "partition",
            "hot events",
            "hot memory",
            "archived",
            "in archive",
            "archive size",
            "seam",
            "archiver",
          ],
          rows.map((row) => [
            row.category,
            row.partition,
            row.hotEntries,
            row.hotBytes === null ? "-" : formatBytes(row.hotBytes),
            row.archivedEvents,
            row.archiveEvents ?? "-",
            row.archiveBytes === null ? "-" : formatBytes(row.archiveBytes),
            row.seamPosition ? `${row.seamPosition}${output.lineBreak}${row.seamAt ?? ""}` : "-",
            row.lease ?? "-",
          ]),
        );
      }
      if (!archive) {
        output.note(
          `The archive was not given, so only Redis's side is shown ("archived": what the seam counts as moved out of Redis). To see the archive's figures, ${HOW_TO_GIVE_AN_ARCHIVE}.`,
        );
      }
      if (foreign.length > 0) {
        output.note(
          `The archive also holds ${foreign.length} category partition${foreign.length === 1 ? "" : "s"} this prefix does not have (${foreign.map((key) => key.replace("\n", ":")).join(", ")}): another store writes to the same archive table; give each store its own table.`,
        );
      }
      if (memoryDenied) {
        output.note(
          `hot memory: MEMORY USAGE is not allowed to this Redis user; the operator ACL rule allows it (\`streamstore doctor --prefix ${prefix}\` prints it).`,
        );
      }
    },
  );
  return EXIT_CODES.ok;
}

/**
 * Registers `streamstore archive run` and `streamstore archive status`.
 *
 * @example
 * registerArchive(program, runAction);
 */
export function registerArchive(program: Command, runAction: ActionRunner): void {
  const archive = program
    .command("archive")
    .description(
      "Move old events from Redis to the archive (PostgreSQL) and see what is where: run, status.",
    );
  withExamples(
    archive
      .command("run")
      .description(
        "Run the archiver (startArchiver of @streamstore/archive) here: it copies each category partition's events beyond the policy to the archive and trims them from Redis once the archive has committed them, one partition at a time under a lease (other archivers share the work). Policies come from the flags or the config's `archiver`. Runs until Ctrl-C (exit code 130 once stopped cleanly, leases released), or with --until-idle until nothing is left to archive (exit code 0). Needs an archive (--archive-url, STREAMSTORE_ARCHIVE_URL or the config's archive): exit code 2 without one.",
      )
      .addOption(
        new Option(
          "--keep-events <n>",
          "keep at least each partition's n newest events in Redis",
        ).argParser(integerOption("--keep-events", 0)),
      )
      .addOption(
        new Option(
          "--keep <duration>",
          "keep events younger than this in Redis (7d, 12h, 30m, …); with --keep-events both hold",
        ).argParser(durationOption("--keep")),
      )
      .addOption(
        new Option(
          "--category <name>",
          "only this category (repeat for several; default: every category with a policy)",
        ).argParser((value: string, previous: string[] | undefined) => [
          ...(previous ?? []),
          value,
        ]),
      )
      .addOption(
        new Option(
          "--min-age <duration>",
          "never archive an event younger than this, whatever the policy (default: the config's minAgeMs, else 10m; at least 1s)",
        ).argParser(durationOption("--min-age")),
      )
      .option("--until-idle", "stop (exit code 0) once nothing is left to archive")
      .addOption(
        new Option("--interval <ms>", "progress refresh interval, ms")
          .argParser(integerOption("--interval", 50))
          .default(500),
      ),
    [
      "streamstore archive run --keep 7d --archive-url postgres://archiver:secret@db:5432/events",
      "streamstore archive run --keep-events 100000 --category order --until-idle",
      "streamstore archive run --until-idle --json 2>progress.ndjson   # policies from the config",
    ],
  ).action(runAction((context, options: ArchiveRunOptions) => runArchiver(context, options)));

  withExamples(
    archive
      .command("status")
      .description(
        "Per category partition: the events still in Redis (XLEN) and their memory (MEMORY USAGE of the log), the events archived (the seam Redis keeps: count, position and time), what the archive holds (events and bytes, archive.stats()) and which archiver holds the partition's lease. Without an archive, Redis's side only.",
      ),
    [
      "streamstore archive status --archive-url postgres://reader:secret@db:5432/events",
      "streamstore archive status --json | jq '.partitions[] | {category, hotEntries, archiveEvents}'",
    ],
  ).action(runAction((context) => archiveStatus(context)));
}
