import { buildOrder, compareBuilds } from "../keys/projectionKeys.js";
import type { BuildContext } from "./PartitionWorkerContext.js";
import type { SourcePartition } from "./partitionAssignment.js";
import { dropRetiredBuilds, serverNow } from "./retiredBuilds.js";
import { firstBehind, lastPositions } from "./waitUntilCaughtUp.js";

/** What an engine does about the active build: serve its own, or stop (replaced). */
export type BuildVerdict = "serve" | "replaced-by-rebuild" | "replaced";

/**
 * Whether a build's engine goes on given the active build: a newer active build replaced it,
 * by a rebuild of the same version or by a new version.
 *
 * @example
 * buildVerdict("v1", "v1.1"); // "replaced-by-rebuild"
 * buildVerdict("v1", "v2"); // "replaced"
 */
export function buildVerdict(build: string, active: string | null): BuildVerdict {
  if (active === null || active === build || compareBuilds(active, build) <= 0) return "serve";
  return buildOrder(active)[0] === buildOrder(build)[0] ? "replaced-by-rebuild" : "replaced";
}

/**
 * The rebuild generation to start beside `build`: the one requested (see `requestRebuild`) when
 * it is newer than `build` and of the same version, else undefined.
 *
 * @example
 * rebuildToStart("v1", 1, 2); // 2
 */
export function rebuildToStart(
  build: string,
  version: number,
  requested: number,
): number | undefined {
  const [buildVersion, buildGeneration] = buildOrder(build);
  return buildVersion === version && requested > buildGeneration ? requested : undefined;
}

/**
 * One heartbeat's work on builds: starts a requested rebuild, makes the first build active at
 * once, and, on the first member only, switches readers to this build once it has caught up on
 * every partition (the old build is retired, deleted after `rebuildGraceMs`); then deletes the
 * retired builds that are due. Resolves false when a newer build is active: this engine stops.
 *
 * @example
 * if (!(await coordinateBuilds(context, members, partitions, startGeneration))) break;
 */
export async function coordinateBuilds(
  context: BuildContext,
  members: readonly string[],
  partitions: readonly SourcePartition[],
  onRebuildRequested: (generation: number) => void,
): Promise<boolean> {
  const { redis, keys, readModel, projection, build, workerId, logger, options } = context;
  const requested = Number((await redis.get(keys.generation(projection.version))) ?? 0);
  const rebuild = rebuildToStart(build, projection.version, requested);
  if (rebuild !== undefined) onRebuildRequested(rebuild);
  let active = await readModel.readActiveBuild();
  if (active === null) {
    await readModel.switchActiveBuild(null, build);
    active = await readModel.readActiveBuild();
  }
  const verdict = buildVerdict(build, active);
  if (verdict !== "serve") {
    const fields = { projection: projection.name, build, active, worker: workerId };
    if (verdict === "replaced-by-rebuild") {
      // This process builds that one too (see onRebuildRequested): nothing to deploy or warn about.
      logger.info(
        fields,
        `[streamstore] projection "${projection.name}" build ${build} was replaced by its rebuild ${active}; its engine stops.`,
      );
    } else {
      logger.warn(
        fields,
        `[streamstore] projection "${projection.name}" build ${build} was replaced by ${active}: this runner stops. Deploy the new version to every worker.`,
      );
    }
    return false;
  }
  if (active !== null && active !== build && members[0] === workerId) {
    const checkpoints = await readModel.readCheckpoints(build);
    const lasts = await lastPositions(redis, context.storeKeys, partitions);
    const caughtUp = partitions.length > 0 && firstBehind(lasts, checkpoints) === undefined;
    if (caughtUp && (await readModel.switchActiveBuild(active, build))) {
      const deleteAt = (await serverNow(redis)) + options.rebuildGraceMs;
      await redis.hset(keys.retired(), active, String(deleteAt));
      logger.info(
        { projection: projection.name, build, from: active, to: build, worker: workerId },
        `[streamstore] projection "${projection.name}": readers switched from ${active} to ${build}; ${active} is deleted in ${options.rebuildGraceMs} ms.`,
      );
    }
  }
  await dropRetiredBuilds(context, partitions);
  return true;
}
