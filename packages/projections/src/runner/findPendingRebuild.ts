import type { EventCatalog } from "@streamstore/core";
import type { Cluster, Redis } from "ioredis";
import { buildId, compareBuilds, projectionKeys } from "../keys/projectionKeys.js";
import type { Projection } from "../projection/defineProjection.js";
import { createRedisReadModelStore } from "../readModel/createRedisReadModelStore.js";
import type { ReadModelStore } from "../readModel/ReadModelStore.js";
import { DEFAULT_PROJECTION_RUNNER_OPTIONS } from "./ProjectionRunnerOptions.js";

/**
 * Options of {@link findPendingRebuild}.
 *
 * @example
 * await findPendingRebuild(balances, { redis, prefix: "shop" });
 */
export interface FindPendingRebuildOptions {
  redis: Redis | Cluster;
  /** The event store's key prefix. Default `"ss"`. */
  prefix?: string;
  /** Where the read model lives. Default: Redis. */
  readModel?: ReadModelStore;
}

/**
 * The build a {@link requestRebuild} asked for that readers do not use yet, or undefined: the
 * generation counter of the projection's version names a build newer than the active one, and
 * that build was not retired. Any runner started now builds it from its checkpoints (a rebuild
 * interrupted half-way resumes where it stopped), so a tool that wants "a rebuild" should
 * resume this one instead of requesting another generation, which would start over from 0.
 *
 * @example
 * const build = (await findPendingRebuild(balances, { redis })) ?? (await requestRebuild(balances, { redis }));
 */
export async function findPendingRebuild<Catalog extends EventCatalog, StateType>(
  projection: Projection<Catalog, StateType>,
  options: FindPendingRebuildOptions,
): Promise<string | undefined> {
  const { redis } = options;
  const prefix = options.prefix ?? DEFAULT_PROJECTION_RUNNER_OPTIONS.prefix;
  const keys = projectionKeys(prefix, projection.name);
  const readModel =
    options.readModel ?? createRedisReadModelStore({ redis, prefix, name: projection.name });
  const generation = Number((await redis.get(keys.generation(projection.version))) ?? 0);
  if (!Number.isSafeInteger(generation) || generation < 1) return undefined;
  const build = buildId(projection.version, generation);
  const active = await readModel.readActiveBuild();
  if (active === build) return undefined;
  // The requested build or a newer one is active (a newer version's: this version's runners stop
  // by themselves): nothing is pending.
  if (active !== null && compareBuilds(active, build) >= 0) return undefined;
  const retired = await redis.hgetall(keys.retired());
  return build in retired ? undefined : build;
}
