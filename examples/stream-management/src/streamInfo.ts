import type { Redis } from "ioredis";

/** An XINFO reply (a flat `[name, value, ...]` list, or a map under RESP3 mappings) as a record. */
export type InfoRecord = Record<string, unknown>;

/**
 * Turns one XINFO reply into a record.
 *
 * @example
 * toRecord(["length", 3, "groups", 1]); // { length: 3, groups: 1 }
 */
export function toRecord(reply: unknown): InfoRecord {
  const record: InfoRecord = {};
  if (Array.isArray(reply)) {
    for (let index = 0; index + 1 < reply.length; index += 2) {
      record[String(reply[index])] = reply[index + 1];
    }
  } else if (reply instanceof Map) {
    for (const [name, value] of reply) record[String(name)] = value;
  } else if (reply && typeof reply === "object") {
    Object.assign(record, reply);
  }
  return record;
}

/**
 * XINFO STREAM, GROUPS and CONSUMERS of one stream, as records (groups empty when none).
 *
 * @example
 * const { stream, groups } = await inspectStream(redis, "shop:notifications");
 */
export async function inspectStream(
  redis: Redis,
  key: string,
): Promise<{ stream: InfoRecord; groups: (InfoRecord & { consumerList: InfoRecord[] })[] }> {
  const stream = toRecord(await redis.xinfo("STREAM", key));
  const groups = [];
  for (const group of (await redis.xinfo("GROUPS", key)) as unknown[]) {
    const record = toRecord(group);
    const consumers = (await redis.xinfo("CONSUMERS", key, String(record.name))) as unknown[];
    groups.push({ ...record, consumerList: consumers.map(toRecord) });
  }
  return { stream, groups };
}
