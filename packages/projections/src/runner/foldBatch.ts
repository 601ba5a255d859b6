import {
  decodeEntry,
  type EventCatalog,
  type RawStreamEntry,
  type RecordedEvent,
} from "@streamstore/core";
import type { KeyRing } from "@streamstore/core/internal";
import { produce } from "immer";
import { errorText } from "../errors.js";
import { assertReadModelKey, type Projection } from "../projection/defineProjection.js";
import type {
  DeadLetterRecord,
  DocumentWrite,
  StoredDocument,
} from "../readModel/ReadModelStore.js";

/** The first entry of a batch whose projection code threw, and what it threw. */
export interface BatchFailure {
  index: number;
  error: unknown;
}

/** Where a batch comes from: one partition log of one projection. */
export interface BatchSource {
  projection: Projection<EventCatalog, unknown>;
  /** Loaded with the batch's data subjects' keys when the catalog has personal data. */
  keyRing: KeyRing | undefined;
  logKey: string;
  category: string;
  partition: number;
  /** `<category>:<partition>`. */
  field: string;
}

/** A batch decoded: per entry its event and read-model key, up to the first failure. */
export interface DecodedBatch {
  /** Undefined for a corrupt entry (dead-lettered). */
  events: (RecordedEvent | undefined)[];
  /** Undefined: nothing to apply (corrupt, or no handler for its type). */
  keys: (string | undefined)[];
  /** Corrupt entries: parked at once, retrying cannot fix them. */
  deadLetters: DeadLetterRecord[];
  /** A `key` function that threw; nothing from it on is decoded. */
  failure: BatchFailure | undefined;
}

/** A document while a batch is applied to it. */
export interface WorkingDocument {
  expectedRevision: number;
  state: unknown;
  changed: boolean;
}

type Handler = (draft: unknown, event: RecordedEvent, context: object) => void;

/**
 * Decodes a batch of log entries and finds each one's read-model key. Pure (the key ring must
 * hold the batch's subjects' keys: decodeEntry is synchronous).
 *
 * @example
 * const decoded = decodeBatch(source, entries);
 */
export function decodeBatch(source: BatchSource, entries: readonly RawStreamEntry[]): DecodedBatch {
  const { projection } = source;
  const handlers = projection.handlers as Record<string, Handler | undefined>;
  const decoded: DecodedBatch = { events: [], keys: [], deadLetters: [], failure: undefined };
  const entrySource = {
    streamName: source.logKey,
    category: source.category,
    partition: source.partition,
    kind: "log",
  } as const;
  let lastKey: string | undefined;
  for (let index = 0; index < entries.length; index++) {
    const entry = entries[index] as RawStreamEntry;
    let event: RecordedEvent;
    try {
      event = decodeEntry(projection.catalog, entry, entrySource, source.keyRing);
    } catch (error) {
      // Untrusted data: a corrupt entry is parked at once (retrying cannot fix it).
      decoded.deadLetters.push(deadLetterOf(source.field, entry, "corrupt", 1, error));
      decoded.events.push(undefined);
      decoded.keys.push(undefined);
      continue;
    }
    decoded.events.push(event);
    if (handlers[event.type] === undefined) {
      decoded.keys.push(undefined);
      continue;
    }
    try {
      const key = projection.key(event as never);
      // A key equal to the last one checked is valid (a batch often runs on one document).
      decoded.keys.push(key === lastKey ? lastKey : assertReadModelKey(key));
      lastKey = key as string;
    } catch (error) {
      decoded.failure = { index, error };
      break;
    }
  }
  return decoded;
}

/**
 * Applies a decoded batch's events to their documents (`stored`: each key's document as last
 * committed, or undefined for a new one), up to the first handler that throws. Pure.
 *
 * @example
 * const { working, failure } = foldBatch(source, decoded, (key) => cache.get(key));
 */
export function foldBatch(
  source: BatchSource,
  decoded: DecodedBatch,
  stored: (key: string) => StoredDocument | undefined,
): { working: Map<string, WorkingDocument>; failure: BatchFailure | undefined } {
  const { projection, partition } = source;
  const { events, keys } = decoded;
  let failure = decoded.failure;
  const handlers = projection.handlers as Record<string, Handler | undefined>;
  const limit = failure?.index ?? events.length;
  const working = new Map<string, WorkingDocument>();
  const documentOf = (key: string): WorkingDocument => {
    let document = working.get(key);
    if (!document) {
      const current = stored(key);
      document = {
        expectedRevision: current?.revision ?? 0,
        state: current ? current.state : projection.initialState(key),
        changed: current === undefined,
      };
      working.set(key, document);
    }
    return document;
  };
  const contextOf = (key: string, event: RecordedEvent) => ({
    projection: projection.name,
    key,
    partition,
    position: event.position,
  });
  // Fast path: one immer produce per document per batch (documents are independent, and each
  // document's events keep their log order). A throw anywhere falls back to one produce per
  // event, which finds the failing event and keeps what came before it.
  let grouped = failure === undefined;
  if (grouped) {
    const byKey = new Map<string, number[]>();
    for (let index = 0; index < limit; index++) {
      const key = keys[index];
      if (key === undefined || events[index] === undefined) continue;
      const indexes = byKey.get(key);
      if (indexes) indexes.push(index);
      else byKey.set(key, [index]);
    }
    const results = new Map<string, unknown>();
    try {
      for (const [key, indexes] of byKey) {
        const current = documentOf(key).state;
        results.set(
          key,
          produce(current, (draft: unknown) => {
            for (const index of indexes) {
              const event = events[index] as RecordedEvent;
              (handlers[event.type] as Handler)(draft, event, contextOf(key, event));
            }
          }),
        );
      }
    } catch {
      grouped = false;
    }
    if (grouped) {
      for (const [key, next] of results) {
        const document = working.get(key) as WorkingDocument;
        if (next !== document.state) {
          document.state = next;
          document.changed = true;
        }
      }
    } else {
      working.clear();
    }
  }
  for (let index = 0; !grouped && index < limit; index++) {
    const event = events[index];
    const key = keys[index];
    if (event === undefined || key === undefined) continue;
    const handler = handlers[event.type] as Handler;
    const document = documentOf(key);
    const context = contextOf(key, event);
    try {
      const current = document.state;
      const next = produce(current, (draft: unknown) => {
        handler(draft, event, context);
      });
      if (next !== current) {
        document.state = next;
        document.changed = true;
      }
    } catch (error) {
      failure = { index, error };
      break;
    }
  }
  return { working, failure };
}

/**
 * The writes of the documents a batch changed.
 *
 * @example
 * const documents = documentWrites(working);
 */
export function documentWrites(working: ReadonlyMap<string, WorkingDocument>): DocumentWrite[] {
  const documents: DocumentWrite[] = [];
  for (const [key, document] of working) {
    if (document.changed) {
      documents.push({ key, expectedRevision: document.expectedRevision, state: document.state });
    }
  }
  return documents;
}

/**
 * The dead letter of a log entry.
 *
 * @example
 * deadLetterOf("account:0", entry, "handler", 5, error);
 */
export function deadLetterOf(
  partition: string,
  entry: RawStreamEntry,
  reason: "handler" | "corrupt",
  attempts: number,
  error: unknown,
): DeadLetterRecord {
  const [entryId, fields] = entry;
  const object: Record<string, string> = {};
  for (let i = 0; fields && i + 1 < fields.length; i += 2) {
    object[fields[i] as string] = fields[i + 1] as string;
  }
  return {
    partition,
    entryId,
    reason,
    attempts,
    error: errorText(error),
    type: object.t ?? "",
    entry: JSON.stringify(object),
    at: Date.now(),
  };
}
