import { INDEX_HEADER_BYTES, INDEX_RECORD_BYTES } from "@streamstore/core";

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
 * The log positions an aggregate index holds, its oldest hot version first (read it with
 * `getBuffer`), and how many versions before it were archived (its header's count; 0 without
 * one). Throws when its length is neither whole records nor a header and whole records.
 *
 * @example
 * const { archived, positions } = indexContents(await redis.getBuffer(location.indexKey));
 */
export function indexContents(index: Buffer | null): { archived: number; positions: string[] } {
  if (index === null) return { archived: 0, positions: [] };
  let head = 0;
  let archived = 0;
  if (index.length % INDEX_RECORD_BYTES === INDEX_HEADER_BYTES) {
    if (index[0] !== 0x41) throw new Error(`indexContents: the header does not start with "A"`);
    head = INDEX_HEADER_BYTES;
    archived = index.readUIntBE(1, PART_BYTES);
  } else if (index.length % INDEX_RECORD_BYTES !== 0) {
    throw new Error(`indexContents: ${index.length} bytes is not whole records`);
  }
  const positions: string[] = [];
  for (let at = head; at < index.length; at += INDEX_RECORD_BYTES) {
    const ms = index.readUIntBE(at, PART_BYTES);
    const seq = index.readUIntBE(at + PART_BYTES, PART_BYTES);
    positions.push(`${ms}-${seq}`);
  }
  return { archived, positions };
}

/**
 * The log positions an aggregate index holds, version 1 first (read it with `getBuffer`). Throws
 * when its length is not a whole number of records, or when versions were archived (then use
 * {@link indexContents}).
 *
 * @example
 * const positions = indexPositions(await redis.getBuffer(location.indexKey));
 */
export function indexPositions(index: Buffer | null): string[] {
  const { archived, positions } = indexContents(index);
  if (archived > 0) throw new Error(`indexPositions: ${archived} versions are archived`);
  return positions;
}
