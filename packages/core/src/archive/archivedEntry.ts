import { CorruptEventError } from "../errors/index.js";
import type { RawStreamEntry } from "../store/entryCodec.js";
import type { ArchivedEntry } from "./EventArchive.js";

const POSITION = /^[0-9]{1,15}-[0-9]{1,15}$/;

/**
 * A category log entry as the archive stores it. The archiver refuses (and so never trims) an
 * entry that is not a whole event: what it cannot archive faithfully stays in Redis.
 *
 * @example
 * const archived = archivedEntryOf("order", 0, ["1700000000000-0", ["i", "e1", "t", "Placed", "d", "{}", "a", "7", "v", "1"]]);
 */
export function archivedEntryOf(
  category: string,
  partition: number,
  entry: RawStreamEntry,
): ArchivedEntry {
  const [position, fields] = entry;
  const fail = (reason: string): never => {
    throw new CorruptEventError(`${category}-?`, undefined, position, reason);
  };
  if (!POSITION.test(position)) fail(`position "${position}" is not a stream id`);
  if (fields === null) return fail("the entry was deleted");
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2)
    map.set(fields[i] as string, fields[i + 1] as string);
  const aggregateId = map.get("a") ?? fail('it has no aggregate id ("a")');
  const version = Number(map.get("v"));
  if (!Number.isSafeInteger(version) || version < 1) fail("its version is not a positive integer");
  const schemaVersion = Number(map.get("s") ?? "1");
  if (!Number.isSafeInteger(schemaVersion) || schemaVersion < 1)
    fail("its schema version is not a positive integer");
  return {
    category,
    partition,
    position,
    streamName: `${category}-${aggregateId}`,
    version,
    eventId: map.get("i") ?? fail('it has no event id ("i")'),
    type: map.get("t") ?? fail('it has no type ("t")'),
    data: map.get("d") ?? fail('it has no data ("d")'),
    metadata: map.get("m"),
    schemaVersion,
  };
}

/**
 * An archived event back in the shape of its log entry, so that it decodes (schema check,
 * upcasting) through `decodeEntry`, the one path hot events take.
 *
 * @example
 * const event = decodeEntry(catalog, logEntryOf(archived), source);
 */
export function logEntryOf(entry: ArchivedEntry): RawStreamEntry {
  const separator = entry.streamName.indexOf("-");
  const fields = [
    "i",
    entry.eventId,
    "t",
    entry.type,
    "d",
    entry.data,
    "a",
    entry.streamName.slice(separator + 1),
    "v",
    String(entry.version),
  ];
  if (entry.metadata !== undefined) fields.push("m", entry.metadata);
  if (entry.schemaVersion !== 1) fields.push("s", String(entry.schemaVersion));
  return [entry.position, fields];
}
