import { INDEX_RECORD_BYTES } from "@streamstore/core";

// The 12-byte records of an aggregate index (`keys.index(...)`), encoded exactly as
// POSITION_CODEC in @streamstore/core's scripts does it (`struct.pack(">I6I6", ms, seq)`), so
// that tests can plant records by hand (APPEND) and check the ones the store wrote: ms and seq of
// a log position "<ms>-<seq>" as 6-byte big-endian unsigned integers.

const PART_BYTES = 6;
const PART_LIMIT = 2n ** 48n;

/**
 * The index record of a log position, as the append script writes it: APPEND it to an aggregate's
 * index to make the next version point at that log entry.
 *
 * @example
 * await redis.append(location.indexKey, indexRecord(position));
 */
export function indexRecord(position: string): Buffer {
  const match = /^([0-9]+)-([0-9]+)$/.exec(position);
  if (!match) throw new Error(`indexRecord: "${position}" is not a stream id`);
  const record = Buffer.alloc(INDEX_RECORD_BYTES);
  [match[1], match[2]].forEach((digits, index) => {
    const part = BigInt(digits as string);
    if (part >= PART_LIMIT) throw new Error(`indexRecord: "${position}" is beyond the encoding`);
    record.writeUIntBE(Number(part), index * PART_BYTES, PART_BYTES);
  });
  return record;
}

/**
 * The log positions an aggregate index holds, version 1 first (read it with `getBuffer`). Throws
 * when its length is not a whole number of records.
 *
 * @example
 * const positions = indexPositions(await redis.getBuffer(location.indexKey));
 */
export function indexPositions(index: Buffer | null): string[] {
  if (index === null) return [];
  if (index.length % INDEX_RECORD_BYTES !== 0) {
    throw new Error(`indexPositions: ${index.length} bytes is not whole records`);
  }
  const positions: string[] = [];
  for (let at = 0; at < index.length; at += INDEX_RECORD_BYTES) {
    const ms = index.readUIntBE(at, PART_BYTES);
    const seq = index.readUIntBE(at + PART_BYTES, PART_BYTES);
    positions.push(`${ms}-${seq}`);
  }
  return positions;
}
