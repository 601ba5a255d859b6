import {
  type DiscoveredProjection,
  type DiscoveredReactor,
  discoverProjections,
  discoverReactors,
  type ProjectionIdentity,
} from "@streamstore/projections";
import { reactorKeys } from "@streamstore/projections/internal";
import type { CommandContext } from "../context/CommandContext.js";
import { CliError, EXIT_CODES } from "../exitCodes.js";

/**
 * A projection the CLI knows: from the config module (with its code) and/or found in Redis.
 *
 * @example
 * const known: KnownProjection = { kind: "projection", name: "balances", version: 1, source: ["account"], activeBuild: "v1", builds: ["v1"], inConfig: true };
 */
export interface KnownProjection extends ProjectionIdentity {
  kind: "projection";
  activeBuild: string | null;
  builds: string[];
  /** True when the config module defines it (rebuild and retry need that). */
  inConfig: boolean;
}

/**
 * A reactor the CLI knows: from the config module's `reactors` and/or its consumer groups in Redis.
 *
 * @example
 * const known: KnownReactor = { kind: "reactor", name: "mailer", source: ["account"], group: "rx:mailer", inConfig: false };
 */
export interface KnownReactor extends DiscoveredReactor {
  kind: "reactor";
  /** Its consumer group on every source partition log. */
  group: string;
  /** True when the config module defines it (`dlq retry` needs that). */
  inConfig: boolean;
}

/**
 * The projections and reactors of the config, then those found in Redis only
 * (`discoverProjections`, `discoverReactors`), each sorted by name.
 *
 * @example
 * const { projections, reactors } = await knownProjectionsAndReactors(context);
 */
export async function knownProjectionsAndReactors(
  context: CommandContext,
): Promise<{ projections: KnownProjection[]; reactors: KnownReactor[] }> {
  const redis = await context.redis();
  const prefix = await context.prefix();
  const config = await context.config();
  // A category registry entry written by hand is reported (once) and its category left out (issue 14).
  const onInvalidCategory = (error: Error) => context.output.note(error.message);
  const [foundProjections, foundReactors] = await Promise.all([
    discoverProjections({ redis, prefix, onInvalidCategory }),
    discoverReactors({ redis, prefix }),
  ]);
  const discovered = new Map<string, DiscoveredProjection>(
    foundProjections.map((found) => [found.name, found]),
  );
  const projections: KnownProjection[] = [];
  for (const projection of config.projections ?? []) {
    const found = discovered.get(projection.name);
    discovered.delete(projection.name);
    projections.push({
      kind: "projection",
      name: projection.name,
      version: projection.version,
      source: projection.source,
      activeBuild: found?.activeBuild ?? null,
      builds: found?.builds ?? [],
      inConfig: true,
    });
  }
  for (const found of discovered.values()) {
    projections.push({ kind: "projection", ...found, inConfig: false });
  }
  const reactors = mergeReactors(prefix, config.reactors ?? [], foundReactors);
  projections.sort((left, right) => left.name.localeCompare(right.name));
  return { projections, reactors };
}

/**
 * The config's reactors (with the sources their code names, plus any other category a group was
 * found on: an older version's), then those found in Redis only, sorted by name. Pure: the CLI's
 * commands and the dashboard both list reactors through it.
 *
 * @example
 * const reactors = mergeReactors("shop", config.reactors ?? [], await discoverReactors({ redis, prefix: "shop" }));
 */
export function mergeReactors(
  prefix: string,
  configured: readonly { name: string; source: readonly string[] }[],
  found: readonly DiscoveredReactor[],
): KnownReactor[] {
  const inRedis = new Map(found.map((reactor) => [reactor.name, reactor]));
  const reactors: KnownReactor[] = [];
  for (const reactor of configured) {
    const source = [...new Set([...reactor.source, ...(inRedis.get(reactor.name)?.source ?? [])])];
    inRedis.delete(reactor.name);
    reactors.push(knownReactor(prefix, reactor.name, source, true));
  }
  for (const reactor of inRedis.values()) {
    reactors.push(knownReactor(prefix, reactor.name, reactor.source, false));
  }
  return reactors.sort((left, right) => left.name.localeCompare(right.name));
}

function knownReactor(
  prefix: string,
  name: string,
  source: readonly string[],
  inConfig: boolean,
): KnownReactor {
  return {
    kind: "reactor",
    name,
    source: [...source],
    group: reactorKeys(prefix, name).group,
    inConfig,
  };
}

/**
 * A name that is neither a projection nor a reactor, in the config or in Redis under the prefix:
 * exit code 4, with the names that are known.
 *
 * @example
 * throw new UnknownProjectionOrReactorError("mailr", "shop", ["balances"], ["mailer"]);
 */
export class UnknownProjectionOrReactorError extends CliError {
  constructor(
    readonly unknownName: string,
    prefix: string,
    readonly projections: readonly string[],
    readonly reactors: readonly string[],
    /** What was looked for: either (the default), or a reactor only (`--reactor`). */
    wanted: "projection or reactor" | "reactor" = "projection or reactor",
  ) {
    const names = (list: readonly string[]) => (list.length > 0 ? list.join(", ") : "none");
    super(
      EXIT_CODES.notFound,
      `[streamstore] no ${wanted} "${unknownName}" in the config or in Redis under prefix "${prefix}". Known projections: ${names(projections)}; reactors: ${names(reactors)}. Check the name and --prefix (\`streamstore projections list\` lists both).`,
    );
  }
}
