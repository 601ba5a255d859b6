import {
  compareStreamIds,
  type KeyLayout,
  lastPartitionPosition,
  parseStreamName,
  sleep,
} from "@streamstore/core/internal";
import type { Cluster, Redis } from "ioredis";
import { CatchUpTimeoutError } from "../errors.js";
import { partitionField } from "../keys/projectionKeys.js";
import type { Checkpoint, ReadModelStore } from "../readModel/ReadModelStore.js";
import type { CaughtUpTarget } from "./ProjectionRunner.js";
import type { SourcePartition } from "./partitionAssignment.js";

/** A partition not caught up yet: its field, the position wanted, the checkpoint's. */
export type Behind = { field: string; target: string; at: string };

/**
 * The first partition whose checkpoint is below its target position (no checkpoint: "0-0"), or
 * undefined when every target is reached.
 *
 * @example
 * firstBehind(new Map([["account:0", "5-0"]]), checkpoints); // { field: "account:0", target: "5-0", at: "3-0" }
 */
export function firstBehind(
  targets: ReadonlyMap<string, string>,
  checkpoints: ReadonlyMap<string, Pick<Checkpoint, "position">>,
): Behind | undefined {
  for (const [field, target] of targets) {
    const at = checkpoints.get(field)?.position ?? "0-0";
    if (compareStreamIds(at, target) < 0) return { field, target, at };
  }
  return undefined;
}

/**
 * The last position of each partition, as `firstBehind` targets. The seam too: a log the
 * archiver trimmed whole is empty in Redis, yet its last position is the archive's.
 *
 * @example
 * const targets = await lastPositions(redis, store.keys, partitions);
 */
export async function lastPositions(
  redis: Redis | Cluster,
  storeKeys: KeyLayout,
  partitions: readonly SourcePartition[],
): Promise<Map<string, string>> {
  const targets = new Map<string, string>();
  for (const { category, partition, field } of partitions) {
    targets.set(field, await lastPartitionPosition(redis, storeKeys, category, partition));
  }
  return targets;
}

/** What waiting for a build to catch up needs from its engine. */
export interface CatchUpContext {
  projectionName: string;
  redis: Redis | Cluster;
  storeKeys: KeyLayout;
  readModel: ReadModelStore;
  /** The engine's build: waited for when no build is active yet. */
  build: string;
  /** The source partitions, once the engine has resolved them. */
  partitions(): Promise<readonly SourcePartition[]>;
}

/** The positions a `waitUntilCaughtUp` target stands for, per partition field. */
async function targetsOf(
  context: CatchUpContext,
  target: CaughtUpTarget | undefined,
): Promise<Map<string, string>> {
  if (target === undefined) {
    return lastPositions(context.redis, context.storeKeys, await context.partitions());
  }
  const targets = new Map<string, string>();
  if ("positions" in target) {
    const { category } = parseStreamName(target.streamName);
    const position = target.positions[target.positions.length - 1];
    if (position !== undefined) targets.set(partitionField(category, target.partition), position);
  } else {
    targets.set(partitionField(target.category, target.partition), target.position);
  }
  return targets;
}

/**
 * Resolves once the build readers use (or `options.build`) has applied everything up to `target`
 * (default: every partition's last entry now), polling its checkpoints; rejects with
 * `CatchUpTimeoutError` after `timeoutMs` (default 30,000).
 *
 * @example
 * await waitUntilCaughtUp(context, await store.append("account-1", events), { timeoutMs: 5000 });
 */
export async function waitUntilCaughtUp(
  context: CatchUpContext,
  target: CaughtUpTarget | undefined,
  options: { timeoutMs?: number; build?: string } = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = performance.now() + timeoutMs;
  const targets = await targetsOf(context, target);
  const build = options.build ?? (await context.readModel.readActiveBuild()) ?? context.build;
  for (;;) {
    const behind = firstBehind(targets, await context.readModel.readCheckpoints(build));
    if (!behind) return;
    if (performance.now() > deadline) {
      throw new CatchUpTimeoutError(
        context.projectionName,
        behind.field,
        behind.target,
        behind.at,
        timeoutMs,
      );
    }
    await sleep(10);
  }
}
