import {
  createRedisReadModelStore,
  findPendingRebuild,
  getProjectionStatus,
  requestRebuild,
  startProjection,
} from "@streamstore/projections";
import { SingleBar } from "cli-progress";
import type { Command } from "commander";
import type { ActionRunner } from "../context/ActionRunner.js";
import type { CommandContext } from "../context/CommandContext.js";
import { EXIT_CODES } from "../exitCodes.js";
import { confirm, integerOption, sleep, withExamples } from "./shared.js";

/**
 * Progress of a rebuild, as printed (and as the JSON lines of `--json` on stderr).
 *
 * @example
 * const progress: RebuildProgress = { build: "v1.2", applied: 1200, total: 50000, eventsPerSecond: 4100, etaSeconds: 12 };
 */
export interface RebuildProgress {
  build: string;
  /** Log entries the new build has gone past, over every source partition. */
  applied: number;
  /** Entries added to the source logs (applied + lag). */
  total: number;
  /** Entries applied per second since this run started. */
  eventsPerSecond: number;
  /** Seconds left at that rate (null before the rate is known). */
  etaSeconds: number | null;
}

function formatSeconds(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return "?";
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  return `${Math.floor(seconds / 60)}m${String(Math.ceil(seconds % 60)).padStart(2, "0")}s`;
}

async function rebuild(
  context: CommandContext,
  name: string,
  options: { yes?: boolean; interval: number },
): Promise<number> {
  const projection = await context.projection(name);
  const signal = context.interrupt();
  const redis = await context.redis();
  const prefix = await context.prefix();
  const config = await context.config();
  const { output } = context;
  const readModel = createRedisReadModelStore({ redis, prefix, name });
  const previous = await readModel.readActiveBuild();
  // Run again after Ctrl-C: the requested build is still pending, and its checkpoints hold what
  // was applied. Requesting another generation would start over from the first event.
  const pending = await findPendingRebuild(projection, { redis, prefix, readModel });
  let build: string;
  if (pending) {
    build = pending;
  } else {
    await confirm(
      context,
      options.yes,
      `Rebuild projection "${name}" from the first event (readers stay on ${previous ?? "nothing"} until the new build has caught up)?`,
    );
    build = await requestRebuild(projection, { redis, prefix });
  }
  const first = await getProjectionStatus(projection, { redis, prefix, build });
  const sum = (status: typeof first) => ({
    applied: status.partitions.reduce((total, partition) => total + partition.applied, 0),
    total: status.partitions.reduce(
      (total, partition) => total + partition.applied + partition.lag,
      0,
    ),
  });
  const start = sum(first);
  output.note(
    pending
      ? `Resuming the rebuild of "${name}" into build ${build} at ${start.applied} of ${start.total} events (readers on ${previous ?? "nothing"}).`
      : `Rebuilding "${name}" into build ${build} from the first event (readers stay on ${previous ?? "nothing"} until it has caught up).`,
  );
  // A worker in this process, with the config's runner options: it builds the new build (and keeps
  // the active one of this version current) until readers switch, sharing partitions with any
  // other running worker of the projection.
  const controller = new AbortController();
  const runner = startProjection(projection, {
    ...config.runner,
    redis,
    prefix,
    logger: context.logger,
    signal: controller.signal,
  });
  const startedAt = performance.now();
  const useBar = context.stderrIsTTY && !output.json;
  const bar = useBar
    ? new SingleBar({
        stream: process.stderr,
        // The build id is read from Redis: rendered (escaped) as any text of the output.
        format: `${output.render(name)} ${output.render(build)} [{bar}] {percentage}% | {value}/{total} events | {rate} ev/s | ETA {etaText}`,
        barsize: 30,
        hideCursor: true,
        // The rate and ETA are computed here, from the build's checkpoints.
        etaBuffer: 1,
      })
    : undefined;
  bar?.start(Math.max(start.total, 1), start.applied, { rate: 0, etaText: "?" });
  let progress: RebuildProgress = {
    build,
    applied: start.applied,
    total: start.total,
    eventsPerSecond: 0,
    etaSeconds: null,
  };
  const report = (final = false) => {
    if (bar) {
      bar.setTotal(Math.max(progress.total, 1));
      bar.update(progress.applied, {
        rate: progress.eventsPerSecond,
        etaText: formatSeconds(progress.etaSeconds),
      });
    } else if (output.json) {
      output.jsonLine({ progress }, "stderr");
    } else if (!final) {
      // Not a terminal: one plain line per interval, which logs and tests can read.
      const percent = progress.total === 0 ? 100 : (100 * progress.applied) / progress.total;
      output.note(
        `progress ${name} ${build}: ${progress.applied}/${progress.total} events (${percent.toFixed(1)}%), ${progress.eventsPerSecond} ev/s, ETA ${formatSeconds(progress.etaSeconds)}`,
      );
    }
  };
  let switched = false;
  try {
    while (!signal.aborted) {
      if (runner.state === "failed") await runner.done;
      const status = await getProjectionStatus(projection, { redis, prefix, build });
      const now = sum(status);
      const seconds = (performance.now() - startedAt) / 1000;
      const rate = seconds > 0 ? (now.applied - start.applied) / seconds : 0;
      progress = {
        build,
        applied: now.applied,
        total: now.total,
        eventsPerSecond: Math.round(rate),
        etaSeconds: rate > 0 ? (now.total - now.applied) / rate : null,
      };
      switched = status.activeBuild === build && now.applied >= now.total;
      report(switched);
      if (switched) break;
      await sleep(options.interval, signal);
    }
  } finally {
    // Stopping commits the in-flight batch (or abandons it before its commit) and releases the
    // leases, so the next run (or another worker) takes over at once.
    controller.abort();
    await runner.stop();
    bar?.stop();
  }
  const seconds = (performance.now() - startedAt) / 1000;
  if (!switched) {
    const after = sum(await getProjectionStatus(projection, { redis, prefix, build }));
    const summary = {
      projection: name,
      build,
      status: "interrupted",
      applied: after.applied,
      total: after.total,
      seconds: Number(seconds.toFixed(1)),
      activeBuild: await readModel.readActiveBuild(),
    };
    output.note(
      `[streamstore] interrupted at ${after.applied} of ${after.total} events of build ${build}; run the same command again to resume.`,
    );
    if (output.json) output.data(summary, () => {});
    return EXIT_CODES.interrupted;
  }
  const summary = {
    projection: name,
    build,
    status: "done",
    previousBuild: previous,
    applied: progress.applied,
    total: progress.total,
    appliedThisRun: progress.applied - start.applied,
    seconds: Number(seconds.toFixed(1)),
    eventsPerSecond: progress.eventsPerSecond,
    activeBuild: build,
  };
  output.data(summary, () =>
    output.line(
      `Rebuilt "${name}": build ${build} applied ${progress.applied} events (${summary.appliedThisRun} in this run, ${summary.seconds} s, ${summary.eventsPerSecond} ev/s); readers switched from ${previous ?? "nothing"} to ${build}.${previous && previous !== build ? ` ${previous} is deleted after the runners' rebuildGraceMs.` : ""}`,
    ),
  );
  return EXIT_CODES.ok;
}

/**
 * Registers `streamstore projections rebuild` on the `projections` command.
 *
 * @example
 * registerRebuild(registerProjections(program, runAction), runAction);
 */
export function registerRebuild(projections: Command, runAction: ActionRunner): void {
  withExamples(
    projections
      .command("rebuild")
      .argument("<name>", "a projection of the config module")
      .description(
        "Rebuild a projection's read model from the first event into a new build, running a worker here with a progress bar (events/s, ETA); readers switch when it has caught up. Ctrl-C stops cleanly (exit code 130); running the same command again resumes the same build from its checkpoints. Needs the projection in the config module (its runner options are used).",
      )
      .option("--yes", "do not ask for confirmation")
      .option(
        "--interval <ms>",
        "progress refresh interval, ms",
        integerOption("--interval", 50),
        250,
      ),
    [
      "streamstore projections rebuild balances --yes",
      "streamstore projections rebuild balances --yes --json 2>progress.ndjson",
    ],
  ).action(
    runAction((context, name: string, options: { yes?: boolean; interval: number }) =>
      rebuild(context, name, options),
    ),
  );
}
