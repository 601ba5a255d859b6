import { assertRedisClient, keyLayout, readPartitionCount } from "@streamstore/core/internal";
import type { Cluster, Redis } from "ioredis";
import { reactorKeys } from "../keys/reactorKeys.js";
import type { Reactor } from "../reactor/defineReactor.js";
import { pairs, sendCommand } from "../runner/redisCommands.js";
import {
  type ReactorConsumerStatus,
  type ReactorStatus,
  reactorConsumerStatus,
  reactorPartitionStatus,
  summarizeReactor,
} from "./reactorStatus.js";

/**
 * What {@link getReactorStatus} needs of a reactor: its name and source categories (a
 * {@link Reactor}, or one `discoverReactors` found in Redis without its code).
 *
 * @example
 * const identity: ReactorIdentity = { name: "mailer", source: ["account"] };
 */
export type ReactorIdentity = Pick<Reactor, "name" | "source">;

/**
 * Options of {@link getReactorStatus}.
 *
 * @example
 * await getReactorStatus(mailer, { redis, prefix: "shop" });
 */
export interface ReactorStatusOptions {
  redis: Redis | Cluster;
  /** The event store's key prefix. Default `"ss"`. */
  prefix?: string;
}

/**
 * The status of a reactor per source partition log: its consumer group there, what is left to
 * deliver (lag), pending entries, consumers and when one last got entries; plus its consumers
 * over all partitions and its dead-letter count. Reads Redis only (XINFO, XLEN, TIME), so it works
 * without the reactor in this process. A reactor has no heartbeat: the last activity is the last
 * time a worker got entries, so an idle but running reactor shows it growing; lag growing and
 * pending entries that stay are what tell a stopped or stuck one.
 *
 * @example
 * const status = await getReactorStatus(mailer, { redis, prefix: "shop" });
 * if (!status.healthy) console.log(status.partitions, status.deadLetters);
 */
export async function getReactorStatus(
  reactor: ReactorIdentity,
  options: ReactorStatusOptions,
): Promise<ReactorStatus> {
  const { redis } = options;
  assertRedisClient(redis);
  const prefix = options.prefix ?? "ss";
  const keys = reactorKeys(prefix, reactor.name);
  const logs = keyLayout(prefix);
  const [deadLetters, now] = await Promise.all([redis.xlen(keys.deadLetters), redis.time()]);
  const nowMs = Number(now[0]) * 1000 + Math.floor(Number(now[1]) / 1000);
  const partitions = [];
  const consumersByPartition: ReactorConsumerStatus[][] = [];
  for (const category of reactor.source) {
    const count = (await readPartitionCount(redis, logs, category)) ?? 1;
    for (let partition = 0; partition < count; partition++) {
      const logKey = logs.log(category, partition);
      const [info, groups] = await Promise.all([
        sendCommand(redis, "xinfo", "STREAM", logKey).catch(() => undefined),
        sendCommand(redis, "xinfo", "GROUPS", logKey).catch(() => []),
      ]);
      const group = (groups as unknown[])
        .map(pairs)
        .find((fields) => String(fields.get("name")) === keys.group);
      const consumers = group
        ? (
            (await sendCommand(redis, "xinfo", "CONSUMERS", logKey, keys.group).catch(
              () => [],
            )) as unknown[]
          ).map((row) => reactorConsumerStatus(pairs(row)))
        : [];
      const lastGenerated = pairs(info).get("last-generated-id");
      partitions.push(
        reactorPartitionStatus(
          { category, partition, group: keys.group },
          group,
          lastGenerated === undefined ? undefined : String(lastGenerated),
          consumers,
          nowMs,
        ),
      );
      consumersByPartition.push(consumers);
    }
  }
  return summarizeReactor(
    { name: reactor.name, source: reactor.source, group: keys.group },
    partitions,
    consumersByPartition,
    deadLetters,
  );
}
