import { integerOf } from "./readLogGroups.js";

/**
 * A consumer (a worker) of a reactor's consumer group, as Redis last saw it.
 *
 * @example
 * const stale = status.consumers.filter((consumer) => consumer.idleMs > 60_000);
 */
export interface ReactorConsumerStatus {
  /** The worker id (`workerId` of `startReactor`). */
  name: string;
  /** Entries delivered to it and not yet acked. */
  pending: number;
  /**
   * Milliseconds since it last got entries, by a read or a claim (XINFO CONSUMERS `inactive` on
   * Redis 7.2+, `idle` on 7.0; the smallest over partitions). Not a heartbeat: a running worker
   * with nothing to handle shows it growing.
   */
  idleMs: number;
}

/**
 * Status of a reactor's consumer group on one source partition log.
 *
 * @example
 * for (const partition of status.partitions) console.log(partition.partition, partition.lag);
 */
export interface ReactorPartitionStatus {
  category: string;
  partition: number;
  /** The reactor's consumer group on this log (`rx:<name>`), or null when the log has none yet. */
  group: string | null;
  /** The last entry delivered to the group (null without a group). */
  lastDelivered: string | null;
  /**
   * Entries of the log not yet delivered to the group; null when Redis cannot count them (entries
   * deleted or trimmed between the group's position and the end) or without a group.
   */
  lag: number | null;
  /** Entries delivered and not yet acked (being handled, retried, or held by a dead worker). */
  pending: number;
  /** Consumers of the group on this log (every worker that ever read it: Redis keeps them). */
  consumers: number;
  /** When a consumer of the group last got entries here (server ms), or null. */
  lastActivityAt: number | null;
}

/**
 * Status of a reactor, for a health endpoint or a CLI.
 *
 * @example
 * const status: ReactorStatus = await getReactorStatus(mailer, { redis, prefix: "shop" });
 */
export interface ReactorStatus {
  reactor: string;
  /** Its consumer group on every source partition log. */
  group: string;
  source: string[];
  /** Its consumers over all partitions, most recently seen first. */
  consumers: ReactorConsumerStatus[];
  deadLetters: number;
  /** When any consumer last got entries (server ms), or null when none ever did. */
  lastActivityAt: number | null;
  partitions: ReactorPartitionStatus[];
  /** True when every partition has the group, nothing is left to deliver, and no dead letters. */
  healthy: boolean;
}

/**
 * A consumer's status from its `XINFO CONSUMERS` row: the time since it last got entries is
 * `inactive` on Redis 7.2+ (where `idle` counts empty reads too; -1: it never got any), else `idle`.
 *
 * @example
 * reactorConsumerStatus(new Map([["name", "w1"], ["pending", 0], ["idle", 20], ["inactive", 900]])); // idleMs 900
 */
export function reactorConsumerStatus(fields: Map<string, unknown>): ReactorConsumerStatus {
  const inactive = fields.get("inactive");
  const sinceEntries =
    inactive !== undefined && inactive !== null && integerOf(inactive) >= 0
      ? integerOf(inactive)
      : integerOf(fields.get("idle"));
  return {
    name: String(fields.get("name")),
    pending: integerOf(fields.get("pending")),
    idleMs: sinceEntries,
  };
}

/**
 * One partition's status from what Redis reported for it: the group's `XINFO GROUPS` fields (or
 * undefined), the log's `last-generated-id` and the group's `XINFO CONSUMERS` rows. A group whose
 * last delivered id is the log's last id has nothing left (lag 0) even when Redis cannot count.
 *
 * @example
 * reactorPartitionStatus({ category: "account", partition: 0, group: "rx:mailer" }, fields, "5-0", [], now);
 */
export function reactorPartitionStatus(
  where: { category: string; partition: number; group: string },
  group: Map<string, unknown> | undefined,
  lastGenerated: string | undefined,
  consumers: readonly ReactorConsumerStatus[],
  nowMs: number,
): ReactorPartitionStatus {
  if (!group) {
    return {
      category: where.category,
      partition: where.partition,
      group: null,
      lastDelivered: null,
      lag: null,
      pending: 0,
      consumers: 0,
      lastActivityAt: null,
    };
  }
  const lastDelivered = String(group.get("last-delivered-id") ?? "0-0");
  const reported = group.get("lag");
  const lag =
    lastGenerated !== undefined && lastDelivered === lastGenerated
      ? 0
      : typeof reported === "number" || (typeof reported === "string" && /^\d+$/.test(reported))
        ? Number(reported)
        : null;
  const idle = Math.min(...consumers.map((consumer) => consumer.idleMs));
  return {
    category: where.category,
    partition: where.partition,
    group: where.group,
    lastDelivered,
    lag,
    pending: integerOf(group.get("pending")),
    consumers: integerOf(group.get("consumers")),
    lastActivityAt: Number.isFinite(idle) ? nowMs - idle : null,
  };
}

/**
 * A reactor's status from its partitions' and consumers' statuses and its dead-letter count.
 *
 * @example
 * summarizeReactor({ name: "mailer", source: ["account"], group: "rx:mailer" }, partitions, consumers, 0);
 */
export function summarizeReactor(
  reactor: { name: string; source: readonly string[]; group: string },
  partitions: ReactorPartitionStatus[],
  consumersByPartition: readonly (readonly ReactorConsumerStatus[])[],
  deadLetters: number,
): ReactorStatus {
  const consumers = new Map<string, ReactorConsumerStatus>();
  for (const list of consumersByPartition) {
    for (const consumer of list) {
      const seen = consumers.get(consumer.name);
      consumers.set(consumer.name, {
        name: consumer.name,
        pending: (seen?.pending ?? 0) + consumer.pending,
        idleMs: Math.min(seen?.idleMs ?? Number.POSITIVE_INFINITY, consumer.idleMs),
      });
    }
  }
  const activity = partitions
    .map((partition) => partition.lastActivityAt)
    .filter((at): at is number => at !== null);
  return {
    reactor: reactor.name,
    group: reactor.group,
    source: [...reactor.source],
    consumers: [...consumers.values()].sort(
      (left, right) => left.idleMs - right.idleMs || left.name.localeCompare(right.name),
    ),
    deadLetters,
    lastActivityAt: activity.length > 0 ? Math.max(...activity) : null,
    partitions,
    healthy:
      deadLetters === 0 &&
      partitions.every((partition) => partition.group !== null && partition.lag === 0),
  };
}
