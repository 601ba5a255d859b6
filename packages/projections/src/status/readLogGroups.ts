import type { CorruptCategoryRegistryError } from "@streamstore/core";
import { keyLayout, readCategoryRegistry } from "@streamstore/core/internal";
import type { Cluster, Redis } from "ioredis";
import { pairs, sendCommand } from "../runner/redisCommands.js";

/**
 * The consumer groups of one partition log, as `XINFO GROUPS` reports them (one map per group).
 *
 * @example
 * for (const log of logs) for (const group of log.groups) console.log(log.category, group.get("name"));
 */
export interface LogGroups {
  category: string;
  partition: number;
  groups: Map<string, unknown>[];
}

/**
 * The consumer groups on every partition log of the category registry under a prefix: what
 * discovery (projections and reactors) reads to find consumers without their code. A registry
 * entry that is not a partition count is handed to `onInvalidCategory` and its category left out
 * (each count checked as read: a hand-written 100000000 made this loop run for minutes).
 *
 * @example
 * const { categories, logs } = await readLogGroups(redis, "shop");
 */
export async function readLogGroups(
  redis: Redis | Cluster,
  prefix: string,
  onInvalidCategory?: (error: CorruptCategoryRegistryError) => void,
): Promise<{ categories: Set<string>; logs: LogGroups[] }> {
  const layout = keyLayout(prefix);
  const registry = await readCategoryRegistry(redis, layout);
  for (const error of registry.invalid) onInvalidCategory?.(error);
  const logs: LogGroups[] = [];
  for (const { category, partitions } of registry.categories) {
    for (let partition = 0; partition < partitions; partition++) {
      const groups = (await sendCommand(
        redis,
        "xinfo",
        "GROUPS",
        layout.log(category, partition),
      ).catch(() => [])) as unknown[];
      logs.push({ category, partition, groups: groups.map(pairs) });
    }
  }
  return { categories: new Set(registry.categories.map(({ category }) => category)), logs };
}

/**
 * A number of a Redis reply, 0 when it is none (a missing or malformed field).
 *
 * @example
 * integerOf(fields.get("pending")); // 3
 */
export function integerOf(value: unknown): number {
  const number = Number(value);
  return Number.isFinite(number) ? number : 0;
}
