import type { CorruptCategoryRegistryError } from "@streamstore/core";
import { assertRedisClient } from "@streamstore/core/internal";
import type { Cluster, Redis } from "ioredis";
import {
  activeBuildKeyPattern,
  buildOrder,
  compareBuilds,
  isBuildId,
  projectionKeys,
} from "../keys/projectionKeys.js";
import type { Projection } from "../projection/defineProjection.js";
import { serversOf } from "../runner/redisCommands.js";
import { readLogGroups } from "./readLogGroups.js";

/**
 * A projection found in Redis without its code: enough to report its status
 * (see {@link getProjectionStatus}, which takes it in place of a {@link Projection}).
 *
 * @example
 * const [found] = await discoverProjections({ redis, prefix: "shop" });
 * console.log(found.name, found.activeBuild, found.source);
 */
export interface DiscoveredProjection extends Pick<Projection, "name" | "version" | "source"> {
  /** The build readers use, or null when only consumer groups were found. */
  activeBuild: string | null;
  /** Every build with a consumer group on a source log or the active pointer, oldest first. */
  builds: string[];
}

/**
 * Options of {@link discoverProjections}.
 *
 * @example
 * await discoverProjections({ redis, prefix: "shop" });
 */
export interface DiscoverProjectionsOptions {
  redis: Redis | Cluster;
  /** The event store's key prefix. Default `"ss"`. */
  prefix?: string;
  /**
   * Called with each category registry entry that is not a valid partition count (written by
   * hand): discovery leaves that category out and goes on with the others. Default: ignored.
   */
  onInvalidCategory?: (error: CorruptCategoryRegistryError) => void;
}

const GROUP = /^rm:([A-Za-z0-9_.-]{1,64}):(v[0-9]{1,15}(?:\.[0-9]{1,15})?)$/;
const ACTIVE_SUFFIX = ":active";

/**
 * Finds the projections that ran against a prefix, from Redis alone: the active-build pointers
 * (`<prefix>:rm:<name>:active`), the consumer groups `rm:<name>:<build>` on the category logs,
 * and the checkpoints of the active build (which name the source partitions even before a group
 * exists, since a catching-up build reads with XRANGE). For operators' tools that have no
 * projection code (the CLI without a config module). Reactors' groups are not projections and
 * are left out (`discoverReactors` finds those). On an ioredis `Cluster` every primary is scanned.
 *
 * @example
 * for (const found of await discoverProjections({ redis, prefix: "shop" })) {
 *   console.log(await getProjectionStatus(found, { redis, prefix: "shop", build: found.activeBuild ?? undefined }));
 * }
 */
export async function discoverProjections(
  options: DiscoverProjectionsOptions,
): Promise<DiscoveredProjection[]> {
  const { redis } = options;
  assertRedisClient(redis);
  const prefix = options.prefix ?? "ss";
  const found = new Map<string, { builds: Set<string>; source: Set<string> }>();
  const entry = (name: string) => {
    let value = found.get(name);
    if (!value) {
      value = { builds: new Set(), source: new Set() };
      found.set(name, value);
    }
    return value;
  };
  const activeKeys: string[] = [];
  // On a Cluster the active pointers (outside any hash tag) are spread over every primary.
  for (const server of serversOf(redis)) {
    let cursor = "0";
    do {
      const [next, keys] = await server.scan(
        cursor,
        "MATCH",
        activeBuildKeyPattern(prefix),
        "COUNT",
        1000,
      );
      cursor = next;
      for (const key of keys) activeKeys.push(key);
    } while (cursor !== "0");
  }
  const namePrefix = `${prefix}:rm:`;
  for (const key of activeKeys) {
    const name = key.slice(namePrefix.length, -ACTIVE_SUFFIX.length);
    // A nested tenant's keys (prefix "shop:eu") also match "shop:rm:*:active" only if the name
    // contained ":"; names never do, so anything else is not ours.
    if (/^[A-Za-z0-9_.-]{1,64}$/.test(name)) entry(name);
  }
  const { categories, logs } = await readLogGroups(redis, prefix, options.onInvalidCategory);
  for (const { category, groups } of logs) {
    for (const group of groups) {
      const match = GROUP.exec(String(group.get("name")));
      if (!match) continue;
      const value = entry(match[1] as string);
      value.builds.add(match[2] as string);
      value.source.add(category);
    }
  }
  const result: DiscoveredProjection[] = [];
  for (const [name, value] of [...found].sort(([left], [right]) => left.localeCompare(right))) {
    const keys = projectionKeys(prefix, name);
    const active = await redis.get(keys.active());
    const activeBuild = active !== null && isBuildId(active) ? active : null;
    if (activeBuild) {
      value.builds.add(activeBuild);
      // HGETALL, not HKEYS: the ACL rules of aclRuleFor allow only the former.
      for (const field of Object.keys(await redis.hgetall(keys.checkpoints(activeBuild)))) {
        const category = field.slice(0, field.lastIndexOf(":"));
        if (categories.has(category)) value.source.add(category);
      }
    }
    const builds = [...value.builds].sort(compareBuilds);
    const newest = activeBuild ?? builds[builds.length - 1] ?? "v1";
    result.push({
      name,
      version: buildOrder(newest)[0] || 1,
      source: [...value.source].sort(),
      activeBuild,
      builds,
    });
  }
  return result;
}
