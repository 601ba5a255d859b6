import type { CorruptCategoryRegistryError } from "@streamstore/core";
import { assertRedisClient } from "@streamstore/core/internal";
import type { Cluster, Redis } from "ioredis";
import { reactorOfGroup } from "../keys/reactorKeys.js";
import type { Reactor } from "../reactor/defineReactor.js";
import { readLogGroups } from "./readLogGroups.js";

/**
 * A reactor found in Redis without its code: its name and the categories it reads, enough for
 * {@link getReactorStatus}.
 *
 * @example
 * const [found] = await discoverReactors({ redis, prefix: "shop" });
 * console.log(found.name, found.source);
 */
export type DiscoveredReactor = Pick<Reactor, "name" | "source">;

/**
 * Options of {@link discoverReactors}.
 *
 * @example
 * await discoverReactors({ redis, prefix: "shop" });
 */
export interface DiscoverReactorsOptions {
  redis: Redis | Cluster;
  /** The event store's key prefix. Default `"ss"`. */
  prefix?: string;
  /** Called with each category registry entry that is not a valid partition count (left out). */
  onInvalidCategory?: (error: CorruptCategoryRegistryError) => void;
}

/**
 * Finds the reactors that ran against a prefix, from Redis alone: their consumer groups
 * `rx:<name>` on the partition logs of the categories in the registry (`startReactor` creates one
 * on each source partition log when it starts, and never deletes it). For operators' tools that
 * have no reactor code (the CLI without a config module); sorted by name.
 *
 * @example
 * for (const found of await discoverReactors({ redis, prefix: "shop" })) {
 *   console.log(await getReactorStatus(found, { redis, prefix: "shop" }));
 * }
 */
export async function discoverReactors(
  options: DiscoverReactorsOptions,
): Promise<DiscoveredReactor[]> {
  assertRedisClient(options.redis);
  const prefix = options.prefix ?? "ss";
  const { logs } = await readLogGroups(options.redis, prefix, options.onInvalidCategory);
  const found = new Map<string, Set<string>>();
  for (const { category, groups } of logs) {
    for (const group of groups) {
      const name = reactorOfGroup(String(group.get("name")));
      if (name === undefined) continue;
      const source = found.get(name) ?? new Set<string>();
      source.add(category);
      found.set(name, source);
    }
  }
  return [...found]
    .sort(([left], [right]) => left.localeCompare(right))
    .map(([name, source]) => ({ name, source: [...source].sort() }));
}
