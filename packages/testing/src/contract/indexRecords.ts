import { INDEX_RECORD_BYTES } from "@streamstore/core";

// The 12-byte records of an aggregate index (`keys.index(...)`), encoded exactly as
// POSITION_CODEC in @streamstore/core's scripts does it, so that tests can plant records by hand
// (APPEND) and check the ones the store wrote: ms and seq of a log position "<ms>-<seq>" are
// each split into the digits before their last 7 and their last 7 digits, each part in 3 bytes,
// big-endian, in the order ms high, ms low, seq high, seq low.

const LOW_DIGITS = 7;
const PART_LIMIT = 2 ** 24;

function splitDigits(digits: string): [high: number, low: number] {
  if (digits.length <= LOW_DIGITS) return [0, Number(digits)];
  return [Number(digits.slice(0, -LOW_DIGITS)), Number(digits.slice(-LOW_DIGITS))];
}

function joinDigits(high: number, low: number): string {
  return high === 0 ? String(low) : `${high}${String(low).padStart(LOW_DIGITS, "0")}`;
}

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
  const parts = [...splitDigits(match[1] as string), ...splitDigits(match[2] as string)];
  const record = Buffer.alloc(INDEX_RECORD_BYTES);
  parts.forEach((part, index) => {
    if (part >= PART_LIMIT) throw new Error(`indexRecord: "${position}" is beyond the encoding`);
    record.writeUIntBE(part, index * 3, 3);
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
    const [msHigh, msLow, seqHigh, seqLow] = [0, 1, 2, 3].map((part) =>
      index.readUIntBE(at + part * 3, 3),
    ) as [number, number, number, number];
    positions.push(`${joinDigits(msHigh, msLow)}-${joinDigits(seqHigh, seqLow)}`);
  }
  return positions;
}
