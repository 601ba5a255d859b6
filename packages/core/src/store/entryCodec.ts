import { CorruptEventError } from "../errors/index.js";
import type { EventCatalog } from "../events/defineEvents.js";
import type { AnyEvent, EventMetadata, RecordedEvent } from "../events/types.js";
import {
  hasEnvelope,
  openPersonalFields,
  type PersonalDataKeys,
} from "../personalData/personalFields.js";
import { streamIdMillis } from "./streamIds.js";

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

// The hot path of every read: one pass over the fields into locals (no Map), and no closure per
// entry. A corrupt entry throws from `corrupt`, which names the stream and version known so far.
function corrupt(
  streamName: string,
  version: number | undefined,
  entryId: string,
  reason: string,
): never {
  throw new CorruptEventError(streamName, version, entryId, reason);
}

// JSON.parse never assigns prototypes (a "__proto__" key becomes an own property), and the
// payload then goes through zod, which builds fresh objects: untrusted entries cannot pollute.
function parseJson(
  text: string,
  what: string,
  streamName: string,
  version: number | undefined,
  entryId: string,
): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    return corrupt(
      streamName,
      version,
      entryId,
      `${what} is not valid JSON (${(error as Error).message})`,
    );
  }
}

/**
 * A decoded event: a plain object (its prototype is Object.prototype, as a literal's is), built by
 * a constructor rather than a literal. A literal is an allocation site V8 may pretenure: during a
 * catch-up, pages of decoded events stay alive across young-generation GCs, and once V8 decided to
 * allocate them in the old generation, every dead event kept its data, Date and strings alive until
 * a full GC (in about half the runs of `pnpm bench:projections`, with 3× the GC time). V8 keeps
 * allocation sites for literals and `new Array`, not for a constructor's objects, so these are
 * never pretenured (checked with `%InYoungGeneration` during those runs).
 */
const DecodedEvent = function (
  this: Record<string, unknown>,
  type: string,
  data: unknown,
  id: string,
  streamName: string,
  category: string,
  version: number,
  position: string,
  partition: number,
  timestamp: Date,
  metadata: EventMetadata,
) {
  this.type = type;
  this.data = data;
  this.id = id;
  this.streamName = streamName;
  this.category = category;
  this.version = version;
  this.position = position;
  this.partition = partition;
  this.timestamp = timestamp;
  this.metadata = metadata;
} as unknown as new (
  ...fields: [string, unknown, string, string, string, number, string, number, Date, EventMetadata]
) => RecordedEvent;
DecodedEvent.prototype = Object.prototype;

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
  let version = source.kind === "stream" ? source.version : undefined;
  let streamName = source.streamName;
  if (rawFields === null) {
    corrupt(
      streamName,
      version,
      entryId,
      source.kind === "stream"
        ? "the category log no longer holds it (trimmed or deleted there)"
        : "the entry was deleted",
    );
  }
  // (a field given twice counts with its last value)
  let aggregateId: string | undefined;
  let versionText: string | undefined;
  let eventId: string | undefined;
  let type: string | undefined;
  let dataText: string | undefined;
  let schemaVersionText: string | undefined;
  let metadataText: string | undefined;
  const fields = rawFields as string[];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const value = fields[i + 1] as string;
    switch (fields[i]) {
      case "a":
        aggregateId = value;
        break;
      case "v":
        versionText = value;
        break;
      case "i":
        eventId = value;
        break;
      case "t":
        type = value;
        break;
      case "d":
        dataText = value;
        break;
      case "s":
        schemaVersionText = value;
        break;
      case "m":
        metadataText = value;
        break;
    }
  }
  const position = entryId;
  if (aggregateId === undefined)
    return corrupt(streamName, version, entryId, 'it has no aggregate id ("a")');
  // A log entry is reported under its own stream from here on, even when its version is broken.
  if (source.kind === "log") streamName = `${source.category}-${aggregateId}`;
  if (versionText === undefined)
    return corrupt(streamName, version, entryId, 'it has no version ("v")');
  const entryVersion = Number(versionText);
  if (!Number.isSafeInteger(entryVersion) || entryVersion < 1) {
    corrupt(streamName, version, entryId, `version "${versionText}" is not a positive integer`);
  }
  if (source.kind === "stream") {
    // The index and the log must agree: an entry of another aggregate or version means one of
    // them was written by hand.
    const entryStream = `${source.category}-${aggregateId}`;
    if (entryStream !== streamName || entryVersion !== version) {
      corrupt(
        streamName,
        version,
        entryId,
        `the index points at the log entry of ${JSON.stringify(entryStream)} version ${entryVersion}`,
      );
    }
  } else {
    version = entryVersion;
  }
  const millis = streamIdMillis(position);
  if (millis < 0)
    corrupt(streamName, version, entryId, `position "${position}" is not a stream id`);
  if (eventId === undefined)
    return corrupt(streamName, version, entryId, 'it has no event id ("i")');
  if (type === undefined) return corrupt(streamName, version, entryId, 'it has no type ("t")');
  if (dataText === undefined) return corrupt(streamName, version, entryId, 'it has no data ("d")');
  const definition =
    catalog.get(type) ??
    corrupt(streamName, version, entryId, `type "${type}" is not in the event catalog`);
  schemaVersionText ??= "1";
  const schemaVersion = Number(schemaVersionText);
  if (!Number.isSafeInteger(schemaVersion) || schemaVersion < 1) {
    corrupt(
      streamName,
      version,
      entryId,
      `schema version "${schemaVersionText}" is not a positive integer`,
    );
  }
  if (schemaVersion > definition.version) {
    corrupt(
      streamName,
      version,
      entryId,
      `it has schema version ${schemaVersion}, newer than this code's ${definition.version}: deploy the newer event definitions`,
    );
  }
  let data = parseJson(dataText, "data", streamName, version, entryId);
  let subjects: string[] | undefined;
  if (hasEnvelope(dataText)) {
    try {
      const opened = openPersonalFields(data, eventId, type, personalKeys);
      data = opened.data;
      subjects = opened.subjects;
    } catch (error) {
      corrupt(streamName, version, entryId, (error as Error).message);
    }
  }
  for (let from = schemaVersion; from < definition.version; from++) {
    try {
      data = definition.upcasters[from]?.(data);
    } catch (error) {
      corrupt(
        streamName,
        version,
        entryId,
        `the upcaster from schema version ${from} threw: ${(error as Error).message}`,
      );
    }
  }
  const parsed = definition.schema.safeParse(data);
  if (!parsed.success) {
    corrupt(
      streamName,
      version,
      entryId,
      `its data does not match the schema of "${type}": ${parsed.error.issues
        .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
        .join("; ")}`,
    );
  }
  let metadata: EventMetadata = {};
  if (metadataText !== undefined) {
    const value = parseJson(metadataText, "metadata", streamName, version, entryId);
    if (typeof value !== "object" || value === null || Array.isArray(value))
      corrupt(streamName, version, entryId, "metadata is not an object");
    metadata = value as EventMetadata;
  }
  const event = new DecodedEvent(
    type,
    parsed.data,
    eventId,
    streamName,
    source.category,
    version as number,
    position,
    source.partition,
    new Date(millis),
    metadata,
  ) as RecordedEvent<Event>;
  if (subjects && subjects.length > 0) event.dataSubjects = subjects;
  return event;
}
