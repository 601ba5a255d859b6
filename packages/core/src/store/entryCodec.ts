import { CorruptEventError } from "../errors/index.js";
import type { EventCatalog } from "../events/defineEvents.js";
import type { AnyEvent, EventMetadata, RecordedEvent } from "../events/types.js";
import {
  hasEnvelope,
  openPersonalFields,
  type PersonalDataKeys,
} from "../personalData/personalFields.js";

/** A raw stream entry as ioredis returns it: `[id, [field, value, ...]]` (fields null if deleted). */
export type RawStreamEntry = [id: string, fields: string[] | null];

/** Where an entry was read from, for decoding and for error messages. */
export interface EntrySource {
  /** The stream name to report (and to put on the event when decoding an aggregate's entry). */
  streamName: string;
  category: string;
  partition: number;
  /**
   * "stream": a log entry read through an aggregate's index, which must belong to `streamName`
   * at `version`; "log": an entry read from a partition log (stream and version from its fields).
   */
  kind: "stream" | "log";
  /** With kind "stream": the version the aggregate's index gives this entry. */
  version?: number;
}

const POSITION = /^([0-9]{1,20})-[0-9]{1,20}$/;

function fieldMap(fields: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2)
    map.set(fields[i] as string, fields[i + 1] as string);
  return map;
}

// JSON.parse never assigns prototypes (a "__proto__" key becomes an own property), and the
// payload then goes through zod, which builds fresh objects: untrusted entries cannot pollute.
function parseJson(text: string, what: string, fail: (reason: string) => never): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    return fail(`${what} is not valid JSON (${(error as Error).message})`);
  }
}

/**
 * Decodes and validates one stored entry into a {@link RecordedEvent}: the type must be in the
 * catalog, old schema versions are upcast, and the payload is parsed with the current schema.
 * Anything else is a {@link CorruptEventError} naming the stream, version and reason.
 *
 * Personal fields (docs/personal-data.md) are decrypted with `personalKeys` before upcasting and
 * zod; a value whose key is destroyed, or not given (a reader without keys), becomes
 * `{ forgotten: true }`, which the field's `personal()` schema accepts: never an error.
 *
 * @example
 * const event = decodeEntry(catalog, entry, { streamName: "cart-1", category: "cart", partition: 0, kind: "stream" });
 */
export function decodeEntry<Event extends AnyEvent>(
  catalog: EventCatalog,
  entry: RawStreamEntry,
  source: EntrySource,
  personalKeys?: PersonalDataKeys,
): RecordedEvent<Event> {
  const [entryId, rawFields] = entry;
  let version: number | undefined;
  let streamName = source.streamName;
  const fail = (reason: string): never => {
    throw new CorruptEventError(streamName, version, entryId, reason);
  };
  if (source.kind === "stream") version = source.version;
  if (rawFields === null) {
    fail(
      source.kind === "stream"
        ? "the category log no longer holds it (trimmed or deleted there)"
        : "the entry was deleted",
    );
  }
  const fields = fieldMap(rawFields as string[]);
  const position = entryId;
  const aggregateId = fields.get("a") ?? fail('it has no aggregate id ("a")');
  // A log entry is reported under its own stream from here on, even when its version is broken.
  if (source.kind === "log") streamName = `${source.category}-${aggregateId}`;
  const versionText = fields.get("v") ?? fail('it has no version ("v")');
  const entryVersion = Number(versionText);
  if (!Number.isSafeInteger(entryVersion) || entryVersion < 1)
    fail(`version "${versionText}" is not a positive integer`);
  if (source.kind === "stream") {
    // The index and the log must agree: an entry of another aggregate or version means one of
    // them was written by hand.
    const entryStream = `${source.category}-${aggregateId}`;
    if (entryStream !== streamName || entryVersion !== version) {
      fail(
        `the index points at the log entry of ${JSON.stringify(entryStream)} version ${entryVersion}`,
      );
    }
  } else {
    version = entryVersion;
  }
  const positionMatch = POSITION.exec(position);
  if (!positionMatch) fail(`position "${position}" is not a stream id`);
  const eventId = fields.get("i") ?? fail('it has no event id ("i")');
  const type = fields.get("t") ?? fail('it has no type ("t")');
  const dataText = fields.get("d") ?? fail('it has no data ("d")');
  const definition = catalog.get(type) ?? fail(`type "${type}" is not in the event catalog`);
  const schemaVersionText = fields.get("s") ?? "1";
  const schemaVersion = Number(schemaVersionText);
  if (!Number.isSafeInteger(schemaVersion) || schemaVersion < 1) {
    fail(`schema version "${schemaVersionText}" is not a positive integer`);
  }
  if (schemaVersion > definition.version) {
    fail(
      `it has schema version ${schemaVersion}, newer than this code's ${definition.version}: deploy the newer event definitions`,
    );
  }
  let data = parseJson(dataText, "data", fail);
  let subjects: string[] | undefined;
  if (hasEnvelope(dataText)) {
    try {
      const opened = openPersonalFields(data, eventId, type, personalKeys);
      data = opened.data;
      subjects = opened.subjects;
    } catch (error) {
      fail((error as Error).message);
    }
  }
  for (let from = schemaVersion; from < definition.version; from++) {
    try {
      data = definition.upcasters[from]?.(data);
    } catch (error) {
      fail(`the upcaster from schema version ${from} threw: ${(error as Error).message}`);
    }
  }
  const parsed = definition.schema.safeParse(data);
  if (!parsed.success) {
    fail(
      `its data does not match the schema of "${type}": ${parsed.error.issues
        .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
        .join("; ")}`,
    );
  }
  let metadata: EventMetadata = {};
  const metadataText = fields.get("m");
  if (metadataText !== undefined) {
    const value = parseJson(metadataText, "metadata", fail);
    if (typeof value !== "object" || value === null || Array.isArray(value))
      fail("metadata is not an object");
    metadata = value as EventMetadata;
  }
  const event = {
    type,
    data: parsed.success ? parsed.data : undefined,
    id: eventId,
    streamName,
    category: source.category,
    version: version as number,
    position,
    partition: source.partition,
    timestamp: new Date(Number(positionMatch?.[1])),
    metadata,
  } as RecordedEvent<Event>;
  if (subjects && subjects.length > 0) event.dataSubjects = subjects;
  return event;
}
