import {
  type DiscoveredProjection,
  discoverProjections,
  getProjectionStatus,
  type ProjectionIdentity,
  type ProjectionStatus,
} from "@streamstore/projections";
import { type Command, Option } from "commander";
import type { CommandContext } from "../context/CommandContext.js";
import { CliError, EXIT_CODES } from "../exitCodes.js";
import type { ActionRunner } from "../program.js";
import { integerOption, sleep, withExamples } from "./shared.js";

/**
 * A projection the CLI knows: from the config module (with its code) and/or found in Redis.
 *
 * @example
 * const known: KnownProjection = { name: "balances", version: 1, source: ["account"], activeBuild: "v1", builds: ["v1"], inConfig: true };
 */
export interface KnownProjection extends ProjectionIdentity {
  activeBuild: string | null;
  builds: string[];
  /** True when the config module defines it (rebuild and retry need that). */
  inConfig: boolean;
}

function newer(left: string, right: string): boolean {
  const order = (build: string) => {
    const match = /^v(\d+)(?:\.(\d+))?$/.exec(build);
    return [Number(match?.[1] ?? 0), Number(match?.[2] ?? 0)] as const;
  };
  const [lv, lg] = order(left);
  const [rv, rg] = order(right);
  return lv > rv || (lv === rv && lg > rg);
}

/**
 * The projections of the config, then those found in Redis only (`discoverProjections`), by name.
 *
 * @example
 * const projections = await knownProjections(context);
 */
export async function knownProjections(context: CommandContext): Promise<KnownProjection[]> {
  const redis = await context.redis();
  const prefix = await context.prefix();
  // A category registry entry written by hand is reported and its category left out (issue 14).
  const onInvalidCategory = (error: Error) => context.output.note(error.message);
  const discovered = new Map<string, DiscoveredProjection>(
    (await discoverProjections({ redis, prefix, onInvalidCategory })).map((found) => [
      found.name,
      found,
    ]),
  );
  const known: KnownProjection[] = [];
  for (const projection of (await context.config()).projections ?? []) {
    const found = discovered.get(projection.name);
    discovered.delete(projection.name);
    known.push({
      name: projection.name,
      version: projection.version,
      source: projection.source,
      activeBuild: found?.activeBuild ?? null,
      builds: found?.builds ?? [],
      inConfig: true,
    });
  }
  for (const found of discovered.values()) known.push({ ...found, inConfig: false });
  return known.sort((left, right) => left.name.localeCompare(right.name));
}

/** The builds worth reporting: the active one (or the code's), and any newer one being built. */
function buildsToReport(projection: KnownProjection): string[] {
  const current = projection.activeBuild ?? `v${projection.version}`;
  return [current, ...projection.builds.filter((build) => newer(build, current))];
}

async function statuses(
  context: CommandContext,
  name: string | undefined,
): Promise<ProjectionStatus[]> {
  const redis = await context.redis();
  const prefix = await context.prefix();
  let projections = await knownProjections(context);
  if (name !== undefined) {
    projections = projections.filter((projection) => projection.name === name);
    if (projections.length === 0) {
      throw new CliError(
        EXIT_CODES.notFound,
        `[streamstore] no projection "${name}" in the config or in Redis under prefix "${prefix}". Run \`streamstore projections list\`.`,
      );
    }
  }
  // Every build's status at once rather than one after another (a --watch redraw waits for all).
  return Promise.all(
    projections.flatMap((projection) =>
      buildsToReport(projection).map((build) =>
        getProjectionStatus(projection, { redis, prefix, build }),
      ),
    ),
  );
}

function renderStatuses(context: CommandContext, list: ProjectionStatus[]): string {
  const { output } = context;
  const c = output.colors;
  if (list.length === 0) {
    return "No projections: none in the config module and none found in Redis under this prefix.";
  }
  const state = (value: string) =>
    value === "live"
      ? c.green(value)
      : value === "failed"
        ? c.red(value)
        : value === "stopped"
          ? c.yellow(value)
          : c.cyan(value);
  const parts: string[] = [];
  for (const status of list) {
    const role =
      status.activeBuild === status.build
        ? "active"
        : status.activeBuild === null
          ? "no active build"
          : `building (readers on ${status.activeBuild})`;
    parts.push(
      `${c.bold(status.projection)}  build ${status.build} (${role})  workers ${status.workers.length}  dead letters ${status.deadLetters > 0 ? c.red(String(status.deadLetters)) : 0}  ${status.healthy ? c.green("healthy") : c.yellow("unhealthy")}`,
    );
    parts.push(
      output.renderTable(
        [
          "partition",
          "state",
          "owner",
          "checkpoint",
          "applied",
          "lag",
          "pending",
          "consumers",
          "dead letters",
          "active build",
        ],
        status.partitions.map((partition) => [
          `${partition.category}:${partition.partition}`,
          state(partition.state),
          partition.owner ?? "-",
          partition.checkpoint,
          partition.applied,
          partition.lag,
          partition.pending,
          partition.consumers,
          status.deadLetters,
          status.activeBuild ?? "-",
        ]),
      ),
    );
  }
  return parts.join(output.lineBreak);
}

async function status(
  context: CommandContext,
  name: string | undefined,
  options: { watch?: boolean; interval: number; check?: boolean },
): Promise<number> {
  const { output } = context;
  const unhealthy = (list: ProjectionStatus[]) => list.some((entry) => !entry.healthy);
  if (!options.watch) {
    const list = await statuses(context, name);
    output.data({ projections: list }, () => output.line(renderStatuses(context, list)));
    return options.check && unhealthy(list) ? EXIT_CODES.dataAtRisk : EXIT_CODES.ok;
  }
  const signal = context.interrupt();
  const redraw = context.stdoutIsTTY && !output.json;
  let last: ProjectionStatus[] = [];
  while (!signal.aborted) {
    last = await statuses(context, name);
    if (output.json) {
      // --watch --json: one document per line, one line per interval.
      output.jsonLine({ at: new Date().toISOString(), projections: last });
    } else {
      const screen = `${renderStatuses(context, last)}${output.lineBreak}${output.colors.dim(`${new Date().toISOString()}  every ${options.interval} ms; Ctrl-C to stop`)}`;
      // A terminal gets the screen redrawn in place; a pipe gets one block per interval.
      output.line(redraw ? `${output.clearScreen}${screen}` : `${screen}${output.lineBreak}`);
    }
    await sleep(options.interval, signal);
  }
  return options.check && unhealthy(last) ? EXIT_CODES.dataAtRisk : EXIT_CODES.ok;
}

async function list(context: CommandContext): Promise<number> {
  const projections = await knownProjections(context);
  const { output } = context;
  output.data({ projections }, () => {
    if (projections.length === 0) {
      output.line(
        "No projections: none in the config module and none found in Redis under this prefix.",
      );
      return;
    }
    output.table(
      ["projection", "version", "source", "active build", "builds", "code"],
      projections.map((projection) => [
        projection.name,
        projection.version,
        projection.source.join(", "),
        projection.activeBuild ?? "-",
        projection.builds.join(", ") || "-",
        projection.inConfig ? "config" : "Redis only",
      ]),
    );
  });
  return EXIT_CODES.ok;
}

/**
 * Registers `streamstore projections list|status` (and the `projections` group the rebuild
 * command joins).
 *
 * @example
 * const projections = registerProjections(program, runAction);
 */
export function registerProjections(program: Command, runAction: ActionRunner): Command {
  const projections = program
    .command("projections")
    .description("Projections: list, status, rebuild.");
  withExamples(
    projections
      .command("list")
      .description(
        "List projections: those of the config module, and those found in Redis (active builds, consumer groups) without code.",
      ),
    ["streamstore projections list", "streamstore projections list --json"],
  ).action(runAction((context) => list(context)));

  withExamples(
    projections
      .command("status")
      .argument("[name]", "one projection (default: all)")
      .description(
        "A table per projection build: partition, state, owner, checkpoint, applied, lag, pending, consumers, dead letters, active build. Works without a config module (projections found in Redis).",
      )
      .option("--watch", "redraw every --interval until Ctrl-C (exit code 0)")
      .addOption(
        new Option("--interval <ms>", "--watch interval, ms")
          .argParser(integerOption("--interval", 100))
          .default(2000),
      )
      .option(
        "--check",
        "exit code 3 unless every partition is live with no lag and no dead letters (for health checks)",
      ),
    [
      "streamstore projections status",
      "streamstore projections status balances --watch --interval 1000",
      "streamstore projections status --check --json > status.json || page-oncall",
    ],
  ).action(
    runAction(
      (
        context,
        name: string | undefined,
        options: { watch?: boolean; interval: number; check?: boolean },
      ) => status(context, name, options),
    ),
  );
  return projections;
}
