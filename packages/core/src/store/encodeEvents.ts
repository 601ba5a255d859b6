import { randomUUID } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import {
  BatchTooLargeError,
  EventTooLargeError,
  InvalidArgumentError,
  InvalidEventError,
  UnknownEventTypeError,
} from "../errors/index.js";
import type { EventCatalog } from "../events/defineEvents.js";
import type { EventMetadata, NewEvent } from "../events/types.js";
import type { DataKey } from "../personalData/envelope.js";
import { sealPersonalFields, subjectOfEvent } from "../personalData/personalFields.js";
import { MAX_BATCH_BYTES, MAX_BATCH_SIZE } from "./limits.js";

/** One event ready for the append script. */
export interface EncodedEvent {
  id: string;
  type: string;
  data: string;
  /** Metadata JSON, "" when there is none (saves a field per entry). */
  metadata: string;
  schemaVersion: number;
}

const EVENT_ID = /^[^\p{Cc}\p{Cf}]{1,128}$/u;

const MAX_DEPTH = 256;

const METADATA_STRING_KEYS = ["correlationId", "causationId"] as const;

// An object is plain when its prototype is null or some realm's Object.prototype.
function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value) as object | null;
  return prototype === null || Object.getPrototypeOf(prototype) === null;
}

/**
 * Refuses what JSON would silently change or cannot carry: BigInt, NaN and ±Infinity (become
 * null), functions and symbols (vanish), undefined in arrays (becomes null), objects that are
 * neither plain nor arrays and have no toJSON (a Map, Set, RegExp or class instance would come
 * back as `{}` or a plain object), and nesting deeper than 256 levels. Objects with toJSON (Date)
 * are left to it; the answer says whether there was one, so that the caller checks the round
 * trip. A plain walk: several times faster than a JSON.stringify replacer, and appends pay it
 * per event.
 */
function assertJsonSafe(
  value: unknown,
  type: string,
  what: string,
  depth: number,
  inArray: boolean,
): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return false;
    case "number":
      if (!Number.isFinite(value)) {
        throw new InvalidEventError(
          type,
          `${what} holds ${value}, which JSON would turn into null`,
        );
      }
      return false;
    case "bigint":
      throw new InvalidEventError(
        type,
        `${what} holds a BigInt, which JSON cannot carry: use a string`,
      );
    case "function":
    case "symbol":
      throw new InvalidEventError(type, `${what} holds a ${typeof value}, which JSON would drop`);
    case "undefined":
      if (inArray)
        throw new InvalidEventError(
          type,
          `${what} holds undefined in an array, which JSON would turn into null`,
        );
      return false;
    default: {
      if (value === null) return false;
      if (depth >= MAX_DEPTH)
        throw new InvalidEventError(type, `${what} is nested deeper than ${MAX_DEPTH} levels`);
      if (typeof (value as { toJSON?: unknown }).toJSON === "function") return true;
      let hasToJson = false;
      if (Array.isArray(value)) {
        for (const item of value)
          hasToJson = assertJsonSafe(item, type, what, depth + 1, true) || hasToJson;
        return hasToJson;
      }
      if (!isPlainObject(value as object)) {
        // Issue 8: a Map or Set was stored as "{}" without a word, losing its content.
        throw new InvalidEventError(
          type,
          `${what} holds a ${Object.prototype.toString.call(value).slice(8, -1)} that is not a plain object, which JSON would store as a plain object or {}: convert it to plain data`,
        );
      }
      for (const key in value as Record<string, unknown>) {
        if (Object.hasOwn(value as object, key)) {
          hasToJson =
            assertJsonSafe((value as Record<string, unknown>)[key], type, what, depth + 1, false) ||
            hasToJson;
        }
      }
      return hasToJson;
    }
  }
}

/**
 * `readBack` turns the stored JSON into what a read returns (the schema's parse for data, the
 * parsed JSON for metadata); it is only called when a toJSON object (a Date) was met, whose JSON
 * form may read back as something else.
 */
function toJson(
  value: unknown,
  type: string,
  what: string,
  readBack: (stored: unknown) => unknown,
): string {
  try {
    const hasToJson = assertJsonSafe(value, type, what, 0, false);
    const text = JSON.stringify(value);
    if (text === undefined) throw new InvalidEventError(type, `${what} is not JSON-serialisable`);
    // Issue 8: a Date passed by z.any() came back as a string, and under z.date() it was stored
    // but could never be read again. Such values are accepted only when they read back equal.
    if (hasToJson && !isDeepStrictEqual(readBack(JSON.parse(text)), value)) {
      throw new InvalidEventError(
        type,
        `${what} holds an object with toJSON (a Date?) that JSON stores as a string and a read would not give back: store the string (date.toISOString()) and parse it with a schema that turns it back (z.coerce.date())`,
      );
    }
    return text;
  } catch (error) {
    if (error instanceof InvalidEventError) throw error;
    // A cycle, a toJSON or a getter that throws, a Proxy, nesting that exhausts the stack.
    throw new InvalidEventError(
      type,
      `${what} cannot be serialised to JSON (${(error as Error)?.message ?? String(error)})`,
    );
  }
}

/** Limits applied to a batch before anything is sent. */
export interface EncodeLimits {
  maxEventBytes: number;
  maxBatchSize: number;
  /** Most bytes of data and metadata in one batch (default `MAX_BATCH_BYTES`). */
  maxBatchBytes?: number;
}

/** Bytes of data and metadata of a batch, once its upper bound (3 per UTF-16 unit) is over `max`. */
function checkBatchBytes(encoded: readonly EncodedEvent[], upperBound: number, max: number): void {
  if (upperBound <= max) return;
  let bytes = 0;
  for (const event of encoded)
    bytes += Buffer.byteLength(event.data) + Buffer.byteLength(event.metadata);
  if (bytes > max) {
    throw new BatchTooLargeError(
      bytes,
      max,
      "bytes",
      ", or store large blobs elsewhere and reference them",
    );
  }
}

/**
 * Validates a batch and encodes it for the append script: every type must be in the catalog,
 * every payload must pass its schema and be JSON-safe, ids must be unique, and each event must fit
 * the size limit. Personal fields are encrypted with their subject's key from `personalKeys`
 * (loaded by the caller: see subjectsOfBatch). Throws before anything is written.
 *
 * @example
 * const encoded = encodeEvents(catalog, [{ type: "Deposited", data: { amount: 5 } }], {}, limits);
 */
export function encodeEvents(
  catalog: EventCatalog,
  events: readonly NewEvent[],
  batchMetadata: EventMetadata | undefined,
  limits: EncodeLimits,
  personalKeys?: ReadonlyMap<string, DataKey>,
): EncodedEvent[] {
  if (!Array.isArray(events)) throw new InvalidArgumentError("events", "pass an array of events.");
  if (events.length === 0) {
    throw new InvalidArgumentError("events", "the batch is empty: append at least one event.");
  }
  if (events.length > limits.maxBatchSize) {
    throw new BatchTooLargeError(
      events.length,
      limits.maxBatchSize,
      "events",
      limits.maxBatchSize < MAX_BATCH_SIZE
        ? `, or raise the store's maxBatchSize (at most ${MAX_BATCH_SIZE})`
        : "",
    );
  }
  // One event (the common append) has no duplicate to look for.
  const seen = events.length > 1 ? new Set<string>() : undefined;
  // An upper bound of the batch's bytes, exact only when it could be over the limit.
  let upperBound = 0;
  const encoded = events.map((event) => {
    if (typeof event !== "object" || event === null) {
      throw new InvalidArgumentError("events", "every event is an object { type, data }.");
    }
    const definition = catalog.get(event.type);
    if (!definition) throw new UnknownEventTypeError(String(event.type), catalog.types);
    let parsed: ReturnType<typeof definition.schema.safeParse>;
    try {
      parsed = definition.schema.safeParse(event.data);
    } catch (error) {
      // Issue 8: zod rethrows what a getter or a Proxy trap throws; it must not escape untyped.
      throw new InvalidEventError(
        event.type,
        `data cannot be read (${(error as Error)?.message ?? String(error)})`,
      );
    }
    if (!parsed.success) {
      throw new InvalidEventError(
        event.type,
        parsed.error.issues
          .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
          .join("; "),
        parsed.error.issues,
      );
    }
    // A generated id (a UUID) is valid by construction: only given ids are checked.
    const id = event.id ?? randomUUID();
    if (event.id !== undefined && (typeof id !== "string" || !EVENT_ID.test(id))) {
      throw new InvalidArgumentError(
        "event id",
        `${JSON.stringify(id)} must be a string of 1–128 characters without control characters.`,
      );
    }
    if (seen?.has(id)) {
      throw new InvalidArgumentError(
        "event id",
        `"${id}" appears twice in one batch: event ids are unique.`,
      );
    }
    seen?.add(id);
    const metadataValue =
      batchMetadata || event.metadata ? { ...batchMetadata, ...event.metadata } : undefined;
    if (
      metadataValue !== undefined &&
      (typeof metadataValue !== "object" || Array.isArray(metadataValue))
    ) {
      throw new InvalidEventError(event.type, "metadata must be an object");
    }
    for (const key of METADATA_STRING_KEYS) {
      const value = metadataValue?.[key];
      if (value !== undefined && typeof value !== "string") {
        throw new InvalidEventError(event.type, `metadata.${key} must be a string`);
      }
    }
    let data = toJson(parsed.data, event.type, "data", (stored) => {
      const reread = definition.schema.safeParse(stored);
      return reread.success ? reread.data : reread.error;
    });
    if (definition.personal) {
      const subject = subjectOfEvent(definition, parsed.data, metadataValue);
      const key = personalKeys?.get(subject);
      if (!key) {
        throw new InvalidArgumentError(
          "personal data keys",
          `no key was loaded for data subject "${subject}": append through the event store, which loads them.`,
        );
      }
      // A caller-given id may be appended again (a retry): its envelope must come out the same.
      const iv = event.id === undefined ? "random" : "synthetic";
      data = JSON.stringify(sealPersonalFields(definition, parsed.data, id, subject, key, iv));
    }
    const metadata =
      metadataValue && Object.keys(metadataValue).length > 0
        ? toJson(metadataValue, event.type, "metadata", (stored) => stored)
        : "";
    // UTF-8 takes at most 3 bytes per UTF-16 unit: count the bytes only when that could be over.
    if ((data.length + metadata.length) * 3 > limits.maxEventBytes) {
      const bytes = Buffer.byteLength(data) + Buffer.byteLength(metadata);
      if (bytes > limits.maxEventBytes)
        throw new EventTooLargeError(event.type, bytes, limits.maxEventBytes);
    }
    upperBound += (data.length + metadata.length) * 3;
    return { id, type: event.type, data, metadata, schemaVersion: definition.version };
  });
  checkBatchBytes(encoded, upperBound, limits.maxBatchBytes ?? MAX_BATCH_BYTES);
  return encoded;
}
