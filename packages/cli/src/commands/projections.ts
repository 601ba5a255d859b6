import {
  getProjectionStatus,
  getReactorStatus,
  type ProjectionStatus,
  type ReactorStatus,
} from "@streamstore/projections";
import { type Command, Option } from "commander";
import type { ActionRunner } from "../context/ActionRunner.js";
import type { CommandContext } from "../context/CommandContext.js";
import { EXIT_CODES } from "../exitCodes.js";
import {
  type KnownProjection,
  knownProjectionsAndReactors,
  UnknownProjectionOrReactorError,
} from "./known.js";
import { renderReactorStatus } from "./renderReactorStatus.js";
import { integerOption, sleep, withExamples } from "./shared.js";

/**
 * One entry of `projections status`: a projection build's status or a reactor's, told apart by
 * `kind` (in `--json` too).
 *
 * @example
 * const unhealthy = entries.filter((entry) => !entry.healthy);
 */
export type StatusEntry =
  | ({ kind: "projection" } & ProjectionStatus)
  | ({ kind: "reactor" } & ReactorStatus);

function newer(left: string, right: string): boolean {
  const order = (build: string) => {
    const match = /^v(\d+)(?:\.(\d+))?$/.exec(build);
    return [Number(match?.[1] ?? 0), Number(match?.[2] ?? 0)] as const;
  };
  const [lv, lg] = order(left);
  const [rv, rg] = order(right);
  return lv > rv || (lv === rv && lg > rg);
}

/** The builds worth reporting: the active one (or the code's), and any newer one being built. */
function buildsToReport(projection: KnownProjection): string[] {
  const current = projection.activeBuild ?? `v${projection.version}`;
  return [current, ...projection.builds.filter((build) => newer(build, current))];
}

async function statuses(context: CommandContext, name: string | undefined): Promise<StatusEntry[]> {
  const redis = await context.redis();
  const prefix = await context.prefix();
  let { projections, reactors } = await knownProjectionsAndReactors(context);
  if (name !== undefined) {
    const all = { projections, reactors };
    projections = projections.filter((projection) => projection.name === name);
    reactors = reactors.filter((reactor) => reactor.name === name);
    if (projections.length === 0 && reactors.length === 0) {
      throw new UnknownProjectionOrReactorError(
        name,
        prefix,
        all.projections.map((projection) => projection.name),
        all.reactors.map((reactor) => reactor.name),
      );
    }
  }
  // Every build's status at once rather than one after another (a --watch redraw waits for all).
  const [projectionStatuses, reactorStatuses] = await Promise.all([
    Promise.all(
      projections.flatMap((projection) =>
        buildsToReport(projection).map((build) =>
          getProjectionStatus(projection, { redis, prefix, build }),
        ),
      ),
    ),
    Promise.all(reactors.map((reactor) => getReactorStatus(reactor, { redis, prefix }))),
  ]);
  return [
    ...projectionStatuses.map((status) => ({ kind: "projection" as const, ...status })),
    ...reactorStatuses.map((status) => ({ kind: "reactor" as const, ...status })),
  ];
}

const NOTHING =
  "No projections or reactors: none in the config module and none found in Redis under this prefix.";

function renderStatuses(context: CommandContext, list: StatusEntry[]): string {
  const { output } = context;
  const c = output.colors;
  if (list.length === 0) return NOTHING;
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
    if (status.kind === "reactor") {
      parts.push(renderReactorStatus(output, status));
      continue;
    }
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
  const unhealthy = (list: StatusEntry[]) => list.some((entry) => !entry.healthy);
  if (!options.watch) {
    const list = await statuses(context, name);
    output.data({ projections: list }, () => output.line(renderStatuses(context, list)));
    return options.check && unhealthy(list) ? EXIT_CODES.dataAtRisk : EXIT_CODES.ok;
  }
  const signal = context.interrupt();
  const redraw = context.stdoutIsTTY && !output.json;
  let last: StatusEntry[] = [];
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
  const { projections, reactors } = await knownProjectionsAndReactors(context);
  const { output } = context;
  output.data({ projections: [...projections, ...reactors] }, () => {
    if (projections.length === 0 && reactors.length === 0) {
      output.line(NOTHING);
      return;
    }
    const code = (entry: { inConfig: boolean }) => (entry.inConfig ? "config" : "Redis only");
    output.table(
      ["name", "kind", "version", "source", "active build", "builds / group", "code"],
      [
        ...projections.map((projection) => [
          projection.name,
          "projection",
          projection.version,
          projection.source.join(", "),
          projection.activeBuild ?? "-",
          projection.builds.join(", ") || "-",
          code(projection),
        ]),
        ...reactors.map((reactor) => [
          reactor.name,
          "reactor",
          "-",
          reactor.source.join(", "),
          "-",
          reactor.group,
          code(reactor),
        ]),
      ],
    );
  });
  return EXIT_CODES.ok;
}

/**
 * Registers `streamstore projections list|status`, which report reactors beside projections (and
 * the `projections` group the rebuild command joins).
 *
 * @example
 * const projections = registerProjections(program, runAction);
 */
export function registerProjections(program: Command, runAction: ActionRunner): Command {
  const projections = program
    .command("projections")
    .description("Projections (and reactors): list, status, rebuild.");
  withExamples(
    projections
      .command("list")
      .description(
        "List projections and reactors (kind column): those of the config module, and those found in Redis (active builds, consumer groups rm:<name>:<build> and rx:<name>) without code.",
      ),
    ["streamstore projections list", "streamstore projections list --json"],
  ).action(runAction((context) => list(context)));

  withExamples(
    projections
      .command("status")
      .argument("[name]", "one projection or reactor (default: all)")
      .description(
        "A table per projection build: partition, state, owner, checkpoint, applied, lag, pending, consumers, dead letters, active build; and per reactor: partition, its consumer group, last delivered entry, lag, pending, consumers, dead letters, last activity. Works without a config module (projections and reactors found in Redis).",
      )
      .option("--watch", "redraw every --interval until Ctrl-C (exit code 0)")
      .addOption(
        new Option("--interval <ms>", "--watch interval, ms")
          .argParser(integerOption("--interval", 100))
          .default(2000),
      )
      .option(
        "--check",
        "exit code 3 unless every projection partition is live and every reactor group caught up, with no lag and no dead letters (for health checks)",
      ),
    [
      "streamstore projections status",
      "streamstore projections status balances --watch --interval 1000",
      "streamstore projections status welcome-mail --json",
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
