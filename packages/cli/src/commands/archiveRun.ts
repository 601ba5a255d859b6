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
} from "@streamstore/core/internal";
import { type CommandContext, HOW_TO_GIVE_AN_ARCHIVE } from "../context/CommandContext.js";
import { CliError, EXIT_CODES } from "../exitCodes.js";
import { formatDuration, sleep } from "./shared.js";

// `streamstore archive run`: drives an archiver until the archive holds what the policies ask for.

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
export interface ArchiveRunOptions {
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

export async function runArchiver(
  context: CommandContext,
  options: ArchiveRunOptions,
): Promise<number> {
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
