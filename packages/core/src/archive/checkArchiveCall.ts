import { ArchiveConflictError, CorruptEventError, InvalidArgumentError } from "../errors/index.js";
import type {
  ArchivedEntry,
  ArchivePartitionRequest,
  ArchiveStreamRequest,
} from "./EventArchive.js";

const POSITION = /^([0-9]{1,19})-([0-9]{1,19})$/;
const INT8_MAX = 9223372036854775807n;

/**
 * A position (`<ms>-<seq>`) as its two numbers, or undefined when it is not one an archive can
 * hold (each part at most PostgreSQL's bigint).
 *
 * @example
 * parsePosition("1700000000000-3"); // [1700000000000n, 3n]
 */
export function parsePosition(position: unknown): [bigint, bigint] | undefined {
  if (typeof position !== "string") return undefined;
  const match = POSITION.exec(position);
  if (!match) return undefined;
  const ms = BigInt(match[1] as string);
  const seq = BigInt(match[2] as string);
  return ms <= INT8_MAX && seq <= INT8_MAX ? [ms, seq] : undefined;
}

/**
 * Orders two positions as Redis orders stream ids: by ms, then by seq, both as numbers
 * (`"9-0"` < `"10-0"`, `"5-9"` < `"5-10"`). Negative, zero or positive, like a sort comparator.
 *
 * @example
 * ["10-0", "9-0"].sort(comparePositions); // ["9-0", "10-0"]
 */
export function comparePositions(a: string, b: string): number {
  const [aMs, aSeq] = parsePosition(a) ?? fail("position", a);
  const [bMs, bSeq] = parsePosition(b) ?? fail("position", b);
  if (aMs !== bMs) return aMs < bMs ? -1 : 1;
  return aSeq === bSeq ? 0 : aSeq < bSeq ? -1 : 1;
}

function fail(argument: string, value: unknown): never {
  throw new InvalidArgumentError(
    argument,
    `${JSON.stringify(value)} is not a stream position "<ms>-<seq>" (two integers of at most 19 digits, each <= 9223372036854775807).`,
  );
}

const isText = (value: unknown): value is string => typeof value === "string" && value.length > 0;
const isCount = (value: unknown, min: number): value is number =>
  typeof value === "number" && Number.isSafeInteger(value) && value >= min;

function checkCategoryPartition(category: unknown, partition: unknown): void {
  if (!isText(category)) throw new InvalidArgumentError("category", "pass a non-empty string.");
  if (!isCount(partition, 0)) throw new InvalidArgumentError("partition", "pass an integer >= 0.");
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks an `EventArchive.write` before anything is stored, the same way in every archive: each
 * entry whole (a position, a version and schema version >= 1, JSON text for data and metadata),
 * and no (stream, version) at two positions within the write. Returns the entries in order
 * without repeats of a (category, partition, position) (the first one is kept, as the archive
 * keeps what it already holds): what the archive should store unless it holds that position.
 *
 * @example
 * for (const entry of checkArchiveWrite(entries)) store(entry);
 */
export function checkArchiveWrite(entries: readonly ArchivedEntry[]): ArchivedEntry[] {
  if (!Array.isArray(entries))
    throw new InvalidArgumentError("entries", "pass an array of archived entries.");
  const byKey = new Map<string, ArchivedEntry>();
  const keyOfVersion = new Map<string, string>();
  for (const entry of entries) {
    if (typeof entry !== "object" || entry === null)
      throw new InvalidArgumentError("entries", "every entry is an ArchivedEntry object.");
    checkCategoryPartition(entry.category, entry.partition);
    if (!parsePosition(entry.position)) fail("entry position", entry.position);
    const corrupt = (reason: string): never => {
      throw new CorruptEventError(
        String(entry.streamName),
        typeof entry.version === "number" ? entry.version : undefined,
        String(entry.position),
        `it cannot be archived: ${reason}`,
      );
    };
    if (!isText(entry.streamName)) corrupt("its stream name is empty");
    if (!isCount(entry.version, 1)) corrupt("its version is not an integer >= 1");
    if (!isCount(entry.schemaVersion, 1)) corrupt("its schema version is not an integer >= 1");
    if (!isText(entry.eventId)) corrupt("its event id is empty");
    if (!isText(entry.type)) corrupt("its type is empty");
    if (typeof entry.data !== "string" || !isJson(entry.data)) corrupt("its data is not JSON text");
    if (
      entry.metadata !== undefined &&
      (typeof entry.metadata !== "string" || !isJson(entry.metadata))
    )
      corrupt("its metadata is not JSON text");
    const key = `${entry.category}\n${entry.partition}\n${entry.position}`;
    if (byKey.has(key)) continue;
    const versionKey = `${entry.streamName}\n${entry.version}`;
    const seen = keyOfVersion.get(versionKey);
    if (seen !== undefined && seen !== key)
      throw new ArchiveConflictError(entry.streamName, entry.version, undefined, entry.position);
    keyOfVersion.set(versionKey, key);
    byKey.set(key, entry);
  }
  return [...byKey.values()];
}

/**
 * Checks an `EventArchive.readStream` request the same way in every archive.
 *
 * @example
 * checkArchiveStreamRead("order-7", { direction: "forward", from: 1, to: 10, limit: 100 });
 */
export function checkArchiveStreamRead(streamName: string, request: ArchiveStreamRequest): void {
  if (!isText(streamName)) throw new InvalidArgumentError("streamName", "pass a non-empty string.");
  if (typeof request !== "object" || request === null)
    throw new InvalidArgumentError("request", "pass { direction, from, to, limit }.");
  if (request.direction !== "forward" && request.direction !== "backward")
    throw new InvalidArgumentError("direction", 'pass "forward" or "backward".');
  if (!isCount(request.from, 1)) throw new InvalidArgumentError("from", "pass an integer >= 1.");
  if (!isCount(request.to, 0) && request.to !== Number.POSITIVE_INFINITY)
    throw new InvalidArgumentError("to", "pass an integer >= 0 (or Infinity for no bound).");
  if (!isCount(request.limit, 1)) throw new InvalidArgumentError("limit", "pass an integer >= 1.");
}

/**
 * Checks an `EventArchive.readPartition` request the same way in every archive.
 *
 * @example
 * checkArchivePartitionRead("order", 0, { after: "0-0", limit: 1000 });
 */
export function checkArchivePartitionRead(
  category: string,
  partition: number,
  request: ArchivePartitionRequest,
): void {
  checkCategoryPartition(category, partition);
  if (typeof request !== "object" || request === null)
    throw new InvalidArgumentError("request", "pass { after, until?, limit, direction? }.");
  if (!parsePosition(request.after)) fail("after", request.after);
  if (request.until !== undefined && !parsePosition(request.until)) fail("until", request.until);
  if (!isCount(request.limit, 1)) throw new InvalidArgumentError("limit", "pass an integer >= 1.");
  const { direction } = request;
  if (direction !== undefined && direction !== "forward" && direction !== "backward")
    throw new InvalidArgumentError("direction", 'pass "forward", "backward" or leave it out.');
}

/**
 * Checks an `EventArchive.lastPosition` call the same way in every archive.
 *
 * @example
 * checkArchiveLastPosition("order", 0);
 */
export function checkArchiveLastPosition(category: string, partition: number): void {
  checkCategoryPartition(category, partition);
}
