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
 * Replaces the personal fields of parsed data by their envelopes. Refuses a forgotten marker (it
 * is what reads return, never something to store) and, in any other top-level field, a string
 * that looks like an envelope (a read would try to open it).
 */
export function sealPersonalFields(
  definition: EventTypeDefinition,
  data: unknown,
  eventId: string,
  subject: string,
  key: DataKey,
): unknown {
  const shape = definition.personal;
  if (!shape || typeof data !== "object" || data === null) return data;
  const sealed: Record<string, unknown> = { ...(data as Record<string, unknown>) };
  for (const [field, value] of Object.entries(sealed)) {
    if (shape.fields.includes(field)) {
      if (value === undefined) continue;
      if (isForgotten(value)) {
        throw new InvalidEventError(
          definition.type,
          `data.${field} is a forgotten marker, which reads return and appends cannot store`,
        );
      }
      sealed[field] = sealValue(
        key,
        { eventId, eventType: definition.type, field, subject },
        value,
      );
    } else if (typeof value === "string" && value.startsWith(ENVELOPE_PREFIX)) {
      throw new InvalidEventError(
        definition.type,
        `data.${field} starts with "${ENVELOPE_PREFIX}", the prefix of encrypted personal values`,
      );
    }
  }
  return sealed;
}

/** Whether stored data JSON holds an envelope (a cheap test before any parsing). */
export function hasEnvelope(dataText: string): boolean {
  return dataText.includes(`"${ENVELOPE_PREFIX}`);
}

const ENVELOPE_SUBJECT = /"ss:pd1:([A-Za-z0-9_.@+-]{1,128}):/g;

/** The subjects named by the envelopes of stored data JSON. */
export function subjectsInData(dataText: string, into: Set<string> = new Set()): Set<string> {
  if (!hasEnvelope(dataText)) return into;
  for (const match of dataText.matchAll(ENVELOPE_SUBJECT)) into.add(match[1] as string);
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
 * Opens the envelopes among the top-level fields of stored data (before upcasting and zod):
 * each becomes its value, or {@link FORGOTTEN} when its key is gone. Throws (a corrupt entry)
 * when an envelope was altered or moved from another event or field.
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
  const opened: Record<string, unknown> = { ...(data as Record<string, unknown>) };
  const subjects: string[] = [];
  for (const [field, value] of Object.entries(opened)) {
    if (typeof value !== "string" || !value.startsWith(ENVELOPE_PREFIX)) continue;
    const envelope = parseEnvelope(value);
    if (!envelope) throw new Error(`data.${field} is a malformed personal-data envelope`);
    if (!subjects.includes(envelope.subject)) subjects.push(envelope.subject);
    const key = keys?.keyFor(envelope.subject) ?? null;
    if (key === null) {
      opened[field] = FORGOTTEN;
      continue;
    }
    try {
      opened[field] = openValue(
        key,
        { eventId, eventType, field, subject: envelope.subject },
        value,
      );
    } catch (error) {
      throw new Error(
        `data.${field} cannot be decrypted (${(error as Error).message}): it was altered, or moved from another event or field`,
      );
    }
  }
  return { data: opened, subjects };
}
