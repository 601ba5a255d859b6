import { isBuildId } from "../keys/projectionKeys.js";
import { unlinkBuildKeys } from "../readModel/unlinkBuildKeys.js";
import type { BuildContext } from "./PartitionWorkerContext.js";
import type { SourcePartition } from "./partitionAssignment.js";

/**
 * The retired builds whose grace period is over at `now` (server ms), never `build` itself nor a
 * field that is not a build id (written by hand: it must never reach a SCAN pattern).
 *
 * @example
 * dueForDeletion({ v1: "1000", v2: "9000" }, "v3", 5000); // ["v1"]
 */
export function dueForDeletion(
  retired: Readonly<Record<string, string>>,
  build: string,
  now: number,
): string[] {
  return Object.entries(retired)
    .filter(
      ([candidate, deleteAt]) =>
        candidate !== build && isBuildId(candidate) && Number(deleteAt) <= now,
    )
    .map(([candidate]) => candidate);
}

/**
 * Whether a membership hash (worker → expiry, server ms) still has a live member at `now`.
 *
 * @example
 * hasLiveMember({ "worker-1": "9000" }, 5000); // true
 */
export function hasLiveMember(members: Readonly<Record<string, string>>, now: number): boolean {
  return Object.values(members).some((expiresAt) => Number(expiresAt) > now);
}

/** The server's clock, ms. */
export async function serverNow(redis: BuildContext["redis"]): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

/**
 * Deletes the retired builds whose grace period is over: their read model, their runner keys
 * (leases, states, members: one hash tag per build), their consumer groups. A retired build whose
 * engines still run is left for a later heartbeat: they stop by themselves once they see the
 * newer build, and until they left its membership, a late state write of theirs could recreate a
 * key just deleted.
 *
 * @example
 * await dropRetiredBuilds(context, partitions);
 */
export async function dropRetiredBuilds(
  context: BuildContext,
  partitions: readonly SourcePartition[],
): Promise<void> {
  const { redis, keys, readModel, storeKeys, build } = context;
  const now = await serverNow(redis);
  for (const retired of dueForDeletion(await redis.hgetall(keys.retired()), build, now)) {
    if (hasLiveMember(await redis.hgetall(keys.members(retired)), now)) continue;
    await readModel.dropBuild(retired);
    // A store that keeps documents elsewhere leaves the build's Redis keys (checkpoints, leases).
    if (readModel.kind !== "redis") await unlinkBuildKeys(redis, keys, retired);
    for (const { category, partition } of partitions) {
      await redis
        .xgroup("DESTROY", storeKeys.log(category, partition), keys.group(retired))
        .catch(() => 0);
    }
    await redis.hdel(keys.retired(), retired);
  }
}
