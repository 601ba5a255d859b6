import type { ArchivePartitionStats } from "@streamstore/core";
import { keyLayout, readCategoryRegistry } from "@streamstore/core/internal";
import {
  getProjectionStatus,
  getReactorStatus,
  type PartitionStatus,
  type PartitionStatusState,
  type ProjectionIdentity,
  type ReactorIdentity,
  type ReactorStatus,
} from "@streamstore/projections";
import { figuresOf, type PartitionTiers, partitionKey, seamOf } from "../archive/partitionTiers.js";
import type { RedisClient } from "../context/RedisClient.js";

/**
 * One category of the event store: its partition logs, and how many events they ever received
 * (XINFO STREAM `entries-added`, which trimming does not lower, so deltas are a throughput).
 *
 * @example
 * const appended = snapshot.categories.reduce((sum, category) => sum + category.entriesAdded, 0);
 */
export interface CategorySnapshot {
  category: string;
  partitions: number;
  /** Events ever appended to the category's logs (sum of `entries-added`). */
  entriesAdded: number;
  /** Entries in the logs now (XLEN summed). */
  length: number;
}

/**
 * A consumer group on one partition log (a projection build `rm:<name>:<build>`, or a reactor's).
 *
 * @example
 * const idle = snapshot.groups.filter((group) => group.consumers === 0);
 */
export interface ConsumerGroupSnapshot {
  category: string;
  partition: number;
  group: string;
  consumers: number;
  /** Delivered, not yet acknowledged. */
  pending: number;
  /** Entries not yet delivered to the group (XINFO GROUPS `lag`; null when Redis cannot tell). */
  lag: number | null;
}

/**
 * One projection build, summed over its source partitions.
 *
 * @example
 * const lagging = snapshot.projections.filter((projection) => projection.lag > 0);
 */
export interface ProjectionSnapshot {
  name: string;
  build: string;
  activeBuild: string | null;
  /** The worst partition state: failed, then stopped, then catching-up, else live. */
  state: PartitionStatusState;
  lag: number;
  /** Log entries the build has gone past (summed checkpoints). */
  applied: number;
  pending: number;
  /** Live workers (heartbeat not expired). */
  workers: number;
  deadLetters: number;
  healthy: boolean;
  partitions: PartitionStatus[];
}

/**
 * One reactor's consumer group, summed over its source partitions (`getReactorStatus`).
 *
 * @example
 * const stuck = snapshot.reactors.filter((reactor) => reactor.pending > 0 && reactor.lag !== 0);
 */
export interface ReactorSnapshot {
  name: string;
  /** Its consumer group on every source partition log (`rx:<name>`). */
  group: string;
  source: string[];
  /** Entries not yet delivered to the group, summed; null when Redis cannot count one partition's. */
  lag: number | null;
  /** Delivered, not yet acknowledged (being handled, retried, or held by a dead worker). */
  pending: number;
  /** Consumers Redis knows for the group (every worker that ever read: a reactor has no heartbeat). */
  consumers: number;
  deadLetters: number;
  /** When a worker last got entries (server ms), or null. */
  lastActivityAt: number | null;
  healthy: boolean;
}

/**
 * One category partition split by tier: what is still in Redis (hot) and what the archiver moved
 * to the archive.
 *
 * @example
 * const share = partition.archivedEvents / (partition.archivedEvents + partition.hotEntries);
 */
export type PartitionTierSnapshot = PartitionTiers;

/**
 * The archive the dashboard reports on: where it is, when its figures were read, and why they
 * could not be when they could not.
 *
 * @example
 * if (snapshot.archive?.problem) console.log(snapshot.archive.problem);
 */
export interface ArchiveSnapshot {
  /** Its URL with the password masked, or "the config's archive". */
  target: string;
  /** When `archive.stats()` was last read, ms since the epoch; null before it answered once. */
  statsAt: number | null;
  /** Why the archive's figures are missing, or null. */
  problem: string | null;
}

/**
 * What the dashboard shows at one moment, read from Redis alone.
 *
 * @example
 * const snapshot = await collectSnapshot({ redis, prefix: "shop", projections: [balances] });
 */
export interface DashboardSnapshot {
  /** When it was read, ms since the epoch. */
  at: number;
  prefix: string;
  categories: CategorySnapshot[];
  projections: ProjectionSnapshot[];
  /** The reactors given (the config module's and those found in Redis). */
  reactors?: ReactorSnapshot[];
  groups: ConsumerGroupSnapshot[];
  /** Per category partition, hot (Redis) and archived (the seam, and the archive's figures). */
  partitions?: PartitionTierSnapshot[];
  /** The archive given to the dashboard; null without one. */
  archive?: ArchiveSnapshot | null;
}

/**
 * Options of {@link collectSnapshot}.
 *
 * @example
 * await collectSnapshot({ redis, prefix: "shop", projections: config.projections ?? [] });
 */
export interface CollectSnapshotOptions {
  /** A `Redis`, or an ioredis `Cluster` (every read here is single-key, routed to its slot). */
  redis: RedisClient;
  /** The event store's key prefix. */
  prefix: string;
  /**
   * The projections to report: the config module's, and those `discoverProjections` found in
   * Redis (with `build`, their active build; a config projection reports its version's build).
   */
  projections: readonly (ProjectionIdentity & { build?: string | undefined })[];
  /** The reactors to report: the config module's, and those `discoverReactors` found in Redis. */
  reactors?: readonly ReactorIdentity[];
  /** The clock, for tests. Default `Date.now`. */
  now?: () => number;
  /**
   * The archive to report on. `stats()` reads its whole table: pass one that caches (the
   * dashboard reads it every 30 s, not at every sample). A failure is reported in the snapshot,
   * never thrown.
   */
  archive?: {
    target: string;
    stats(): Promise<{ at: number; stats: readonly ArchivePartitionStats[] }>;
  };
}

const STATE_ORDER: readonly PartitionStatusState[] = ["failed", "stopped", "catching-up", "live"];

function worstState(partitions: readonly PartitionStatus[]): PartitionStatusState {
  for (const state of STATE_ORDER) {
    if (partitions.some((partition) => partition.state === state)) return state;
  }
  // A projection whose source categories were never written has no partition yet.
  return "stopped";
}

// XINFO replies are flat [field, value, ...] arrays under RESP2 (ioredis's protocol).
function fields(reply: unknown): Map<string, unknown> {
  const map = new Map<string, unknown>();
  if (!Array.isArray(reply)) return map;
  for (let index = 0; index + 1 < reply.length; index += 2) {
    map.set(String(reply[index]), reply[index + 1]);
  }
  return map;
}

function count(value: unknown): number {
  const number = Number(value);
  return Number.isFinite(number) ? number : 0;
}

/** One projection build's status (`getProjectionStatus`), summed over its partitions. */
async function projectionSnapshot(
  redis: RedisClient,
  prefix: string,
  projection: CollectSnapshotOptions["projections"][number],
): Promise<ProjectionSnapshot> {
  const status = await getProjectionStatus(projection, {
    redis,
    prefix,
    ...(projection.build ? { build: projection.build } : {}),
  });
  const sum = (field: "lag" | "applied" | "pending") =>
    status.partitions.reduce((total, partition) => total + partition[field], 0);
  return {
    name: status.projection,
    build: status.build,
    activeBuild: status.activeBuild,
    state: worstState(status.partitions),
    lag: sum("lag"),
    applied: sum("applied"),
    pending: sum("pending"),
    workers: status.workers.length,
    deadLetters: status.deadLetters,
    healthy: status.healthy,
    partitions: status.partitions,
  };
}

/** One reactor's status, summed over its partitions. */
export function reactorSnapshot(status: ReactorStatus): ReactorSnapshot {
  let lag: number | null = 0;
  let pending = 0;
  for (const partition of status.partitions) {
    lag = lag === null || partition.lag === null ? null : lag + partition.lag;
    pending += partition.pending;
  }
  return {
    name: status.reactor,
    group: status.group,
    source: status.source,
    lag,
    pending,
    consumers: status.consumers.length,
    deadLetters: status.deadLetters,
    lastActivityAt: status.lastActivityAt,
    healthy: status.healthy,
  };
}

/**
 * Reads one {@link DashboardSnapshot}: every category's logs (`<prefix>:categories`, XINFO
 * STREAM, MEMORY USAGE, the archive seam), every consumer group on them (XINFO GROUPS), each
 * projection's status through `getProjectionStatus` and each reactor's through `getReactorStatus`,
 * so the dashboard and `projections status` can never disagree, and the archive's figures when one is given.
 *
 * @example
 * const snapshot = await collectSnapshot({ redis, prefix: "shop", projections: [balances] });
 * console.log(snapshot.projections.map((projection) => `${projection.name}: lag ${projection.lag}`));
 */
export async function collectSnapshot(options: CollectSnapshotOptions): Promise<DashboardSnapshot> {
  const { redis, prefix } = options;
  const keys = keyLayout(prefix);
  const at = (options.now ?? Date.now)();
  // Validated entries only (1 to 1,024 partitions): a hand-written 100000000 would have the
  // dashboard read that many logs (issue 14). Invalid entries are left out of the snapshot.
  const registry = await readCategoryRegistry(redis, keys);
  const partitionCounts = new Map(
    registry.categories.map(({ category, partitions }) => [category, partitions]),
  );
  const logs = [...partitionCounts].flatMap(([category, partitions]) =>
    Array.from({ length: partitions }, (_, partition) => ({ category, partition })),
  );
  // Every log, and every projection's status, at once rather than one await after another:
  // ioredis writes the commands without waiting for replies, so the logs cost one round trip
  // however many partitions there are (on a Cluster, each command still goes to its slot's primary).
  const [replies, projections, reactors] = await Promise.all([
    Promise.all(
      logs.map(({ category, partition }) => {
        const log = keys.log(category, partition);
        // A category is registered before its first log entry exists: a missing log is empty.
        return Promise.all([
          redis.call("XINFO", "STREAM", log).catch(() => undefined),
          redis.call("XINFO", "GROUPS", log).catch(() => []),
          // MEMORY USAGE is the operator rule's, not the application's: null without it.
          redis.call("MEMORY", "USAGE", log).catch(() => null),
          redis.hgetall(keys.archived(category, partition)).catch(() => ({})),
        ]);
      }),
    ),
    Promise.all(
      options.projections.map((projection) => projectionSnapshot(redis, prefix, projection)),
    ),
    Promise.all(
      (options.reactors ?? []).map(async (reactor) =>
        reactorSnapshot(await getReactorStatus(reactor, { redis, prefix })),
      ),
    ),
  ]);
  let archive: ArchiveSnapshot | null = null;
  let figures: ReturnType<typeof figuresOf> | undefined;
  if (options.archive) {
    archive = { target: options.archive.target, statsAt: null, problem: null };
    try {
      const read = await options.archive.stats();
      archive.statsAt = read.at;
      figures = figuresOf(read.stats);
    } catch (error) {
      archive.problem = (error instanceof Error ? error.message : String(error)).replace(/\.$/, "");
    }
  }
  const categories: CategorySnapshot[] = [...partitionCounts].map(([category, partitions]) => ({
    category,
    partitions,
    entriesAdded: 0,
    length: 0,
  }));
  const byName = new Map(categories.map((summary) => [summary.category, summary]));
  const groups: ConsumerGroupSnapshot[] = [];
  const partitions: PartitionTierSnapshot[] = [];
  for (const [index, { category, partition }] of logs.entries()) {
    const [stream, groupReplies, memory, seamHash] = replies[index] as [
      unknown,
      unknown,
      unknown,
      Record<string, string>,
    ];
    const info = fields(stream);
    const summary = byName.get(category) as CategorySnapshot;
    summary.entriesAdded += count(info.get("entries-added"));
    summary.length += count(info.get("length"));
    const seam = seamOf(seamHash);
    const held = figures?.get(partitionKey(category, partition));
    partitions.push({
      category,
      partition,
      hotEntries: count(info.get("length")),
      hotBytes: memory === null || memory === undefined ? null : count(memory),
      archivedEvents: seam.events,
      seamPosition: seam.position,
      seamAt: seam.at,
      archiveEvents: figures ? (held?.events ?? 0) : null,
      archiveBytes: figures ? (held?.bytes ?? 0) : null,
    });
    for (const reply of groupReplies as unknown[]) {
      const group = fields(reply);
      const lag = group.get("lag");
      groups.push({
        category,
        partition,
        group: String(group.get("name")),
        consumers: count(group.get("consumers")),
        pending: count(group.get("pending")),
        lag: lag === null || lag === undefined ? null : count(lag),
      });
    }
  }
  return { at, prefix, categories, projections, reactors, groups, partitions, archive };
}
