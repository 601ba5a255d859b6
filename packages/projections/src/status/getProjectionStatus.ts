import { assertRedisClient, keyLayout, readPartitionCount } from "@streamstore/core/internal";
import type { Cluster, Redis } from "ioredis";
import { buildId, partitionField, projectionKeys } from "../keys/projectionKeys.js";
import type { Projection } from "../projection/defineProjection.js";
import { createRedisReadModelStore } from "../readModel/createRedisReadModelStore.js";
import type { ReadModelStore } from "../readModel/ReadModelStore.js";
import { pairs, sendCommand } from "../runner/redisCommands.js";
import { integerOf } from "./readLogGroups.js";

/**
 * The state of a partition as seen from outside: `catching-up`, `live`, `stopped` or `failed`.
 *
 * @example
 * const unhealthy = status.partitions.filter((partition) => partition.state !== "live");
 */
export type PartitionStatusState = "catching-up" | "live" | "stopped" | "failed";

/**
 * Status of one source partition of a projection build.
 *
 * @example
 * for (const partition of status.partitions) console.log(partition.partition, partition.lag);
 */
export interface PartitionStatus {
  category: string;
  partition: number;
  state: PartitionStatusState;
  /** The worker holding the partition's lease, if any. */
  owner: string | null;
  /** The last applied position (`"0-0"` before the first). */
  checkpoint: string;
  /** Log entries the build has gone past. */
  applied: number;
  /** Entries added to the log (XINFO STREAM entries-added) minus `applied`. */
  lag: number;
  /** Entries delivered to the consumer group and not yet acked. */
  pending: number;
  /** Consumers of the build's group on this log. */
  consumers: number;
}

/**
 * Status of a projection build, for a health endpoint or a CLI.
 *
 * @example
 * const status: ProjectionStatus = await getProjectionStatus(balances, { redis });
 */
export interface ProjectionStatus {
  projection: string;
  /** The build reported. */
  build: string;
  /** The build readers use (null before the first runner started). */
  activeBuild: string | null;
  /** Live workers of the build (heartbeat not expired). */
  workers: string[];
  deadLetters: number;
  partitions: PartitionStatus[];
  /** True when every partition is live with no lag and no dead letters. */
  healthy: boolean;
}

/**
 * Options of {@link getProjectionStatus}.
 *
 * @example
 * await getProjectionStatus(balances, { redis, prefix: "shop", build: "v2" });
 */
export interface ProjectionStatusOptions {
  redis: Redis | Cluster;
  /** The event store's key prefix. Default `"ss"`. */
  prefix?: string;
  /** Where the read model lives (checkpoints, dead letters). Default: Redis. */
  readModel?: ReadModelStore;
  /** The build to report. Default: the projection's version (`v<version>`). */
  build?: string;
}

/**
 * What {@link getProjectionStatus} needs of a projection: its name, version and source categories
 * (a {@link Projection}, or a projection `discoverProjections` found in Redis without its code).
 *
 * @example
 * const identity: ProjectionIdentity = { name: "balances", version: 1, source: ["account"] };
 */
export type ProjectionIdentity = Pick<Projection, "name" | "version" | "source">;

/**
 * The status of a projection per source partition: state, checkpoint, lag, pending, consumers,
 * and its dead letters. Reads Redis only, so it works without a runner in this process (health
 * endpoints, CLIs).
 *
 * @example
 * const status = await getProjectionStatus(balances, { redis, prefix: "shop" });
 * if (!status.healthy) console.log(status.partitions);
 */
export async function getProjectionStatus(
  projection: ProjectionIdentity,
  options: ProjectionStatusOptions,
): Promise<ProjectionStatus> {
  const { redis } = options;
  assertRedisClient(redis);
  const prefix = options.prefix ?? "ss";
  const build = options.build ?? buildId(projection.version);
  const keys = projectionKeys(prefix, projection.name);
  const logs = keyLayout(prefix);
  const readModel =
    options.readModel ?? createRedisReadModelStore({ redis, prefix, name: projection.name });
  const [checkpoints, activeBuild, deadLetters, states, now] = await Promise.all([
    readModel.readCheckpoints(build),
    readModel.readActiveBuild(),
    readModel.countDeadLetters(build),
    redis.hgetall(keys.states(build)),
    redis.time(),
  ]);
  const nowMs = Number(now[0]) * 1000 + Math.floor(Number(now[1]) / 1000);
  const members = await redis.hgetall(keys.members(build));
  const workers = Object.keys(members)
    .filter((worker) => Number(members[worker]) > nowMs)
    .sort();
  const partitions: PartitionStatus[] = [];
  for (const category of projection.source) {
    const count = (await readPartitionCount(redis, logs, category)) ?? 1;
    for (let partition = 0; partition < count; partition++) {
      const field = partitionField(category, partition);
      const logKey = logs.log(category, partition);
      const checkpoint = checkpoints.get(field) ?? { position: "0-0", applied: 0 };
      const [lease, info, groups] = await Promise.all([
        redis.get(keys.lease(build, field)),
        sendCommand(redis, "xinfo", "STREAM", logKey).catch(() => undefined),
        sendCommand(redis, "xinfo", "GROUPS", logKey).catch(() => []),
      ]);
      const group = (groups as unknown[])
        .map(pairs)
        .find((fields) => String(fields.get("name")) === keys.group(build));
      const added = integerOf(pairs(info).get("entries-added"));
      const recorded = states[field]?.split("|")[0] as PartitionStatusState | undefined;
      let state: PartitionStatusState = "stopped";
      if (recorded === "failed") state = "failed";
      else if (lease !== null) state = recorded === "live" ? "live" : "catching-up";
      partitions.push({
        category,
        partition,
        state,
        owner: lease === null ? null : lease.slice(0, lease.lastIndexOf("|")),
        checkpoint: checkpoint.position,
        applied: checkpoint.applied,
        lag: Math.max(0, added - checkpoint.applied),
        pending: integerOf(group?.get("pending")),
        consumers: integerOf(group?.get("consumers")),
      });
    }
  }
  return {
    projection: projection.name,
    build,
    activeBuild,
    workers,
    deadLetters,
    partitions,
    healthy:
      deadLetters === 0 &&
      partitions.every((partition) => partition.state === "live" && partition.lag === 0),
  };
}
