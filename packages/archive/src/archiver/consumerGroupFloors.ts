import type { Cluster, Redis } from "ioredis";
import type { GroupFloor } from "./eligibleEntries.js";

function fieldsOf(reply: unknown): Map<string, unknown> {
  const map = new Map<string, unknown>();
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) map.set(String(reply[i]), reply[i + 1]);
  }
  return map;
}

/**
 * Each consumer group of a log, with what it has not settled (XINFO GROUPS, then the XPENDING
 * summary of each group that has pending entries), read at the start of each step. A group created
 * during a step is not respected by it: a consumer group created on a log with archived history
 * starts at its oldest hot entry (projections read older ones through the archive).
 *
 * @example
 * const floors = await consumerGroupFloors(redis, logKey);
 */
export async function consumerGroupFloors(
  redis: Redis | Cluster,
  logKey: string,
): Promise<GroupFloor[]> {
  let groups: unknown[];
  try {
    groups = (await redis.xinfo("GROUPS", logKey)) as unknown[];
  } catch (error) {
    // No log yet: nothing to archive, and no group to respect.
    if (error instanceof Error && /no such key/i.test(error.message)) return [];
    throw error;
  }
  const floors: GroupFloor[] = [];
  for (const group of groups) {
    const fields = fieldsOf(group);
    const name = String(fields.get("name"));
    const pending = Number(fields.get("pending"));
    let oldestPending: string | undefined;
    if (pending > 0) {
      const summary = (await redis.xpending(logKey, name)) as unknown[];
      oldestPending = summary[1] === null ? undefined : String(summary[1]);
    }
    floors.push({
      group: name,
      lastDelivered: String(fields.get("last-delivered-id")),
      oldestPending,
    });
  }
  return floors;
}
