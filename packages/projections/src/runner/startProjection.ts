import type { EventCatalog } from "@streamstore/core";
import { assertRedisClient } from "@streamstore/core/internal";
import type { Cluster, Redis } from "ioredis";
import { buildId, buildOrder, projectionKeys } from "../keys/projectionKeys.js";
import type { Projection } from "../projection/defineProjection.js";
import { createProjectionReader } from "../reader/createProjectionReader.js";
import { createRedisReadModelStore } from "../readModel/createRedisReadModelStore.js";
import type { ProjectionRunner } from "./ProjectionRunner.js";
import {
  DEFAULT_PROJECTION_RUNNER_OPTIONS,
  type ProjectionRunnerOptions,
} from "./ProjectionRunnerOptions.js";
import {
  assertPrefixAgrees,
  assertReadModelOf,
  defaultWorkerId,
  resolveRunnerOptions,
} from "./resolveRunnerOptions.js";
import { startBuild } from "./startBuild.js";

export type { CaughtUpTarget, ProjectionRunner, RunnerState } from "./ProjectionRunner.js";

/**
 * Starts a projection worker. Any number of workers (processes) may run one projection: source
 * partitions are spread over the live workers, each owned through a fenced lease; each owned
 * partition catches up from its checkpoint with XRANGE, then tails with XREADGROUP BLOCK from
 * exactly there. Every batch commits its documents and the checkpoint in one script, so each event
 * takes effect exactly once in the read model. A bumped `version` builds beside the old build and
 * switches readers when caught up. See docs/delivery-guarantees.md.
 *
 * @example
 * const runner = startProjection(balances, { redis, store, signal: controller.signal });
 * await store.append("account-1", [{ type: "Deposited", data: { amount: 10 } }]);
 * await runner.waitUntilCaughtUp();
 * console.log(await runner.get("account-1"));
 */
export function startProjection<Catalog extends EventCatalog, StateType>(
  projection: Projection<Catalog, StateType>,
  runnerOptions: ProjectionRunnerOptions<Catalog>,
): ProjectionRunner<StateType> {
  const { redis } = runnerOptions;
  assertRedisClient(redis);
  resolveRunnerOptions(runnerOptions as ProjectionRunnerOptions<EventCatalog>);
  // One id for every build's engine: membership, consumer name, lease holder.
  const options: ProjectionRunnerOptions<Catalog> = {
    ...runnerOptions,
    workerId: runnerOptions.workerId ?? defaultWorkerId(),
  };
  const prefix =
    runnerOptions.store?.keys.prefix ??
    runnerOptions.prefix ??
    DEFAULT_PROJECTION_RUNNER_OPTIONS.prefix;
  assertPrefixAgrees(runnerOptions.store, runnerOptions.prefix);
  assertReadModelOf(runnerOptions.readModel, projection.name, prefix);
  const keys = projectionKeys(prefix, projection.name);
  // Builds run side by side during a rebuild of the same version: the older one stops by itself
  // once readers switched to the newer one.
  const engines: ProjectionRunner<StateType>[] = [];
  let stopped = false;
  let latestGeneration = -1;
  let settle: (error?: unknown) => void = () => {};
  const done = new Promise<void>((resolve, reject) => {
    settle = (error) => (error === undefined ? resolve() : reject(error));
  });
  done.catch(() => {});
  const startGeneration = (generation: number) => {
    if (stopped || generation <= latestGeneration) return;
    latestGeneration = generation;
    const engine = startBuild(
      projection,
      options,
      buildId(projection.version, generation),
      startGeneration,
    );
    engines.push(engine);
    engine.done.then(
      () => {
        if (
          engines.every(
            (candidate) => candidate.state === "stopped" || candidate.state === "failed",
          )
        )
          settle();
      },
      (error: unknown) => {
        for (const other of engines) void other.stop();
        settle(error);
      },
    );
  };
  const starting = (async () => {
    // A rebuild requested before this worker started: run the requested build, and the active
    // one too when it is an older build of this version (it keeps serving until the switch).
    let requested = 0;
    let active: string | null = null;
    try {
      requested = Number((await redis.get(keys.generation(projection.version))) ?? 0);
      active = await (
        runnerOptions.readModel ??
        createRedisReadModelStore({ redis, prefix, name: projection.name })
      ).readActiveBuild();
    } catch {
      // Redis unreachable at start: run the plain build, whose loop waits for Redis.
    }
    const [activeVersion, activeGeneration] = active === null ? [0, 0] : buildOrder(active);
    if (activeVersion === projection.version && activeGeneration < requested) {
      startGeneration(activeGeneration);
    }
    startGeneration(requested);
  })();
  const latest = () => engines[engines.length - 1] as ProjectionRunner<StateType>;
  const ready = async () => {
    await starting;
    return latest();
  };
  const reader = createProjectionReader(projection, {
    readModel:
      runnerOptions.readModel ??
      createRedisReadModelStore({ redis, prefix, name: projection.name }),
    activeBuildCacheMs:
      runnerOptions.activeBuildCacheMs ?? DEFAULT_PROJECTION_RUNNER_OPTIONS.activeBuildCacheMs,
  });
  return {
    workerId: options.workerId as string,
    get build() {
      return engines.length === 0 ? buildId(projection.version) : latest().build;
    },
    get state() {
      return engines.length === 0 ? "starting" : latest().state;
    },
    get lastError() {
      return engines.length === 0 ? undefined : latest().lastError;
    },
    get: reader.get,
    getMany: reader.getMany,
    activeBuild: reader.activeBuild,
    refresh: reader.refresh,
    ownedPartitions: () => (engines.length === 0 ? [] : latest().ownedPartitions()),
    async waitUntilCaughtUp(target, waitOptions) {
      await (await ready()).waitUntilCaughtUp(target, waitOptions);
      // Read-your-writes through this runner: a switch of builds may be younger than the cache.
      reader.refresh();
    },
    status: async () => (await ready()).status(),
    deadLetters: {
      list: async (listOptions) => (await ready()).deadLetters.list(listOptions),
      retry: async (id) => (await ready()).deadLetters.retry(id),
      discard: async (id) => (await ready()).deadLetters.discard(id),
    },
    async stop() {
      stopped = true;
      await starting;
      await Promise.all(engines.map((engine) => engine.stop()));
      await done.catch(() => {});
    },
    done,
  };
}

/**
 * Asks every runner of a projection to rebuild its read model from the first event, without a
 * version bump (after a bug fix in a handler): runners build `v<version>.<n>` beside the active
 * build and switch readers to it once it has caught up, as for a version bump. Resolves the new
 * build's id.
 *
 * @example
 * await requestRebuild(balances, { redis, prefix: "shop" }); // "v1.1"
 */
export async function requestRebuild<Catalog extends EventCatalog, StateType>(
  projection: Projection<Catalog, StateType>,
  options: { redis: Redis | Cluster; prefix?: string },
): Promise<string> {
  const keys = projectionKeys(
    options.prefix ?? DEFAULT_PROJECTION_RUNNER_OPTIONS.prefix,
    projection.name,
  );
  const generation = await options.redis.incr(keys.generation(projection.version));
  return buildId(projection.version, generation);
}
