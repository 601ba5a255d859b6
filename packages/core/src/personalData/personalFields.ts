import { InvalidEventError } from "../errors/index.js";
import type { EventCatalog, EventTypeDefinition } from "../events/defineEvents.js";
import type { EventMetadata, NewEvent } from "../events/types.js";
import { type DataKey, ENVELOPE_PREFIX, openValue, parseEnvelope, sealValue } from "./envelope.js";
import { MissingDataSubjectError } from "./errors.js";
import { assertDataSubject, FORGOTTEN, isForgotten } from "./personal.js";

/**
 * The data subject of an event of a type with personal fields: its `dataSubject()` field, else
 * `metadata.dataSubject`. Throws MissingDataSubjectError / InvalidDataSubjectError.
 */
export function subjectOfEvent(
  definition: EventTypeDefinition,
  data: unknown,
  metadata: EventMetadata | undefined,
): string {
  const shape = definition.personal;
  const fromData =
    shape?.subjectField !== undefined && typeof data === "object" && data !== null
      ? (data as Record<string, unknown>)[shape.subjectField]
      : undefined;
  const subject = fromData ?? metadata?.dataSubject;
  if (subject === undefined || subject === null) throw new MissingDataSubjectError(definition.type);
  return assertDataSubject(subject);
}

/**
 * The subjects whose keys a batch needs, checked before any key is made (so a batch with a bad
 * subject creates nothing). Types not in the catalog are left to encodeEvents to refuse.
 */
export function subjectsOfBatch(
  catalog: EventCatalog,
  events: readonly NewEvent[],
  batchMetadata: EventMetadata | undefined,
): Set<string> {
  const subjects = new Set<string>();
  if (!Array.isArray(events)) return subjects;
  for (const event of events) {
    if (typeof event !== "object" || event === null) continue;
    const definition = catalog.get(event.type);
    if (!definition?.personal) continue;
    subjects.add(subjectOfEvent(definition, event.data, { ...batchMetadata, ...event.metadata }));
  }
  return subjects;
}

/**
 * The top-level key under which an event's personal fields are stored, sealed together in one
 * envelope (one AES-GCM operation per event, not per field: see docs/personal-data.md).
 */
export const PERSONAL_DATA_FIELD = "$personal";

/**
 * Moves the personal fields of parsed data into one envelope under {@link PERSONAL_DATA_FIELD},
 * bound to the event, its type, its subject and the names of the fields it holds. Refuses a
 * forgotten marker (it is what reads return, never something to store), the reserved key, and,
 * in any other top-level field, a string that looks like an envelope (a read would try to open it).
 */
export function sealPersonalFields(
  definition: EventTypeDefinition,
  data: unknown,
  eventId: string,
  subject: string,
  key: DataKey,
  iv: "synthetic" | "random" = "synthetic",
): unknown {
  const shape = definition.personal;
  if (!shape || typeof data !== "object" || data === null) return data;
  const sealed: Record<string, unknown> = {};
  const values: Record<string, unknown> = {};
  const names: string[] = [];
  for (const [field, value] of Object.entries(data as Record<string, unknown>)) {
    if (shape.fields.includes(field)) {
      if (value === undefined) continue;
      if (isForgotten(value)) {
        throw new InvalidEventError(
          definition.type,
          `data.${field} is a forgotten marker, which reads return and appends cannot store`,
        );
      }
      setField(values, field, value);
      names.push(field);
    } else if (field === PERSONAL_DATA_FIELD) {
      throw new InvalidEventError(
        definition.type,
        `data.${field} is reserved for the encrypted personal fields`,
      );
    } else {
      if (typeof value === "string" && value.startsWith(ENVELOPE_PREFIX)) {
        throw new InvalidEventError(
          definition.type,
          `data.${field} starts with "${ENVELOPE_PREFIX}", the prefix of encrypted personal values`,
        );
      }
      setField(sealed, field, value);
    }
  }
  if (names.length > 0) {
    sealed[PERSONAL_DATA_FIELD] = sealValue(
      key,
      { eventId, eventType: definition.type, field: names.join(","), subject },
      values,
      iv,
    );
  }
  return sealed;
}

const QUOTED_PREFIX = `"${ENVELOPE_PREFIX}`;

/** Whether stored data JSON holds an envelope (a cheap test before any parsing). */
export function hasEnvelope(dataText: string): boolean {
  return dataText.includes(QUOTED_PREFIX);
}
const SUBJECT_ID = /^[A-Za-z0-9_.@+-]{1,128}$/;

/** The subjects named by the envelopes of stored data JSON (an indexOf walk: reads pay it). */
export function subjectsInData(dataText: string, into: Set<string> = new Set()): Set<string> {
  let at = dataText.indexOf(QUOTED_PREFIX);
  while (at >= 0) {
    const start = at + QUOTED_PREFIX.length;
    const end = dataText.indexOf(":", start);
    if (end < 0) break;
    const subject = dataText.slice(start, end);
    // A subject that is not a valid id was not written by a store: decodeEntry reports it.
    if (SUBJECT_ID.test(subject)) into.add(subject);
    at = dataText.indexOf(QUOTED_PREFIX, end);
  }
  return into;
}

/** The subjects of raw stream entries (their "d" fields): what a reader loads keys for. */
export function subjectsOfEntries(
  entries: Iterable<readonly [string, readonly string[] | null]>,
): Set<string> {
  const subjects = new Set<string>();
  for (const [, fields] of entries) {
    if (!fields) continue;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      if (fields[i] === "d") subjectsInData(fields[i + 1] as string, subjects);
    }
  }
  return subjects;
}

/** A synchronous key lookup: the key, or null when it is destroyed or not available. */
export interface PersonalDataKeys {
  keyFor(subject: string): DataKey | null;
}

/**
 * Opens the envelope of stored data (before upcasting and zod): its fields come back, or each
 * becomes {@link FORGOTTEN} when the key is gone. Throws (a corrupt entry) when the envelope was
 * altered or moved from another event.
 */
export function openPersonalFields(
  data: unknown,
  eventId: string,
  eventType: string,
  keys: PersonalDataKeys | undefined,
): { data: unknown; subjects: string[] } {
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    return { data, subjects: [] };
  }
  const stored = (data as Record<string, unknown>)[PERSONAL_DATA_FIELD];
  if (typeof stored !== "string") return { data, subjects: [] };
  const envelope = parseEnvelope(stored);
  if (!envelope) throw new Error(`data.${PERSONAL_DATA_FIELD} is a malformed envelope`);
  // The data without the envelope, then the opened fields: all own properties (see setField).
  const opened: Record<string, unknown> = {};
  for (const field of Object.keys(data)) {
    if (field !== PERSONAL_DATA_FIELD)
      setField(opened, field, (data as Record<string, unknown>)[field]);
  }
  const names = envelope.field.split(",");
  const key = keys?.keyFor(envelope.subject) ?? null;
  if (key === null) {
    for (const name of names) setField(opened, name, FORGOTTEN);
    return { data: opened, subjects: [envelope.subject] };
  }
  let values: unknown;
  try {
    values = openValue(
      key,
      { eventId, eventType, field: envelope.field, subject: envelope.subject },
      envelope,
    );
  } catch (error) {
    throw new Error(
      `its personal fields cannot be decrypted (${(error as Error).message}): the envelope was altered, or moved from another event`,
    );
  }
  if (typeof values !== "object" || values === null) {
    throw new Error("its personal fields did not decrypt to an object");
  }
  for (const name of names) setField(opened, name, (values as Record<string, unknown>)[name]);
  return { data: opened, subjects: [envelope.subject] };
}

// Sets an own property, "__proto__" included (an assignment would set the prototype, and the field
// would vanish from the JSON): field names come from data (a loose schema passes any key) and from
// stored envelopes, which may have been written by hand.
function setField(target: Record<string, unknown>, name: string, value: unknown): void {
  if (name === "__proto__") {
    Object.defineProperty(target, name, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    target[name] = value;
  }
}
