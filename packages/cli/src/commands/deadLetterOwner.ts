import { createRedisReadModelStore, type ReadModelStore } from "@streamstore/projections";
import { REACTOR_DEAD_LETTER_BUILD, reactorKeys } from "@streamstore/projections/internal";
import type { CommandContext } from "../context/CommandContext.js";
import { CliError, EXIT_CODES } from "../exitCodes.js";
import { knownProjectionsAndReactors, UnknownProjectionOrReactorError } from "./known.js";

/**
 * Whose dead letters a `dlq` command acts on: a projection's build, or a reactor's. Both live in
 * the read-model store of the name (a reactor's under the build `rx`), so listing, showing and
 * discarding are the same; retrying runs a projection's or a reactor's handler.
 *
 * @example
 * const owner = await resolveDeadLetterOwner(context, "mailer", {});
 * await owner.readModel.listDeadLetters(owner.build);
 */
export interface DeadLetterOwner {
  kind: "projection" | "reactor";
  name: string;
  /** The build whose dead letters these are (a reactor's: `rx`). */
  build: string;
  readModel: ReadModelStore;
}

/**
 * Options of the `dlq` commands that choose the owner.
 *
 * @example
 * const options: DeadLetterOwnerOptions = { build: "v1.1" };
 */
export interface DeadLetterOwnerOptions {
  /** A projection's build (default: the one readers use). */
  build?: string;
  /** The reactor of the name, when a projection has the same name. */
  reactor?: boolean;
}

/**
 * Finds whose dead letters `name` means: `--build` names a projection's build (`rx`, a reactor's
 * stream, as it was named before `--reactor`); otherwise a projection with an active build or a
 * reactor with a dead-letter stream, else any known to the config or found in Redis. A name that
 * is neither is exit code 4 with the known names; one that is both asks for `--reactor` or
 * `--build`.
 *
 * @example
 * const owner = await resolveDeadLetterOwner(context, "balances", { build: "v1" });
 */
export async function resolveDeadLetterOwner(
  context: CommandContext,
  name: string,
  options: DeadLetterOwnerOptions,
): Promise<DeadLetterOwner> {
  const redis = await context.redis();
  const prefix = await context.prefix();
  // Listing, showing and discarding need no code: the read-model store does them.
  const readModel = createRedisReadModelStore({ redis, prefix, name });
  const owner = (kind: DeadLetterOwner["kind"], build: string): DeadLetterOwner => ({
    kind,
    name,
    build,
    readModel,
  });
  if (options.reactor && options.build !== undefined) {
    throw new CliError(
      EXIT_CODES.usage,
      "[streamstore] --build names a projection's build; a reactor has one dead-letter stream. Pass --reactor or --build, not both.",
    );
  }
  if (options.build === REACTOR_DEAD_LETTER_BUILD) return owner("reactor", options.build);
  if (options.build !== undefined) return owner("projection", options.build);
  // Redis first: the usual answer costs two reads, and neither the config nor a discovery.
  const [activeBuild, parked] = await Promise.all([
    readModel.readActiveBuild(),
    redis.exists(reactorKeys(prefix, name).deadLetters),
  ]);
  let projection = activeBuild !== null;
  let reactor = parked === 1;
  const found = () => (options.reactor ? reactor : projection || reactor);
  if (!found()) {
    const known = await knownProjectionsAndReactors(context);
    projection ||= known.projections.some((entry) => entry.name === name);
    reactor ||= known.reactors.some((entry) => entry.name === name);
    if (!found()) {
      throw new UnknownProjectionOrReactorError(
        name,
        prefix,
        known.projections.map((entry) => entry.name),
        known.reactors.map((entry) => entry.name),
        options.reactor ? "reactor" : "projection or reactor",
      );
    }
  }
  if (options.reactor || (reactor && !projection)) {
    return owner("reactor", REACTOR_DEAD_LETTER_BUILD);
  }
  if (reactor) {
    throw new CliError(
      EXIT_CODES.usage,
      `[streamstore] "${name}" is both a projection and a reactor under prefix "${prefix}": pass --reactor for the reactor's dead letters, or --build <build> for the projection's.`,
    );
  }
  if (activeBuild === null) {
    throw new CliError(
      EXIT_CODES.notFound,
      `[streamstore] projection "${name}" has no active build under prefix "${prefix}" (it never ran). Run \`streamstore projections list\`, or pass --build.`,
    );
  }
  return owner("projection", activeBuild);
}

/**
 * How messages name an owner: `"balances" build v1`, or `reactor "mailer"`.
 *
 * @example
 * output.line(`Discarded 2 dead letters of ${ownerLabel(owner)}.`);
 */
export function ownerLabel(owner: DeadLetterOwner): string {
  return owner.kind === "reactor"
    ? `reactor "${owner.name}"`
    : `"${owner.name}" build ${owner.build}`;
}

/**
 * The fields that name an owner in `--json` documents: `{ kind, projection, build }` or
 * `{ kind, reactor }`.
 *
 * @example
 * output.data({ ...ownerFields(owner), discarded: ids }, () => {});
 */
export function ownerFields(owner: DeadLetterOwner): Record<string, string> {
  return owner.kind === "reactor"
    ? { kind: "reactor", reactor: owner.name }
    : { kind: "projection", projection: owner.name, build: owner.build };
}

/**
 * `dlq retry` of a reactor's dead letter runs the reactor's handler: the config module must
 * define the reactor. Exit code 4, as for a projection missing from the config.
 *
 * @example
 * if (!reactor) throw new ReactorNotInConfigError("mailer", []);
 */
export class ReactorNotInConfigError extends CliError {
  constructor(
    readonly reactor: string,
    readonly inConfig: readonly string[],
  ) {
    super(
      EXIT_CODES.notFound,
      `[streamstore] retrying a dead letter of reactor "${reactor}" runs its handler, and ${inConfig.length === 0 ? "no config module lists reactors" : `the config lists only these reactors: ${inConfig.join(", ")}`}. Add it to the config (defineConfig({ reactors: [...] }), see "Config module" in the @streamstore/cli README) or pass --config <path>; or retry from the application with startReactor(...).deadLetters.retry(id). \`streamstore dlq discard ${reactor} <id>\` drops it without running the handler.`,
    );
  }
}
