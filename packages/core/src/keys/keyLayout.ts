import { InvalidArgumentError, InvalidStreamNameError } from "../errors/index.js";

/** A parsed stream name `<category>-<id>`. */
export interface StreamName {
  readonly streamName: string;
  readonly category: string;
  readonly id: string;
}

/** Longest stream name accepted, in UTF-16 code units (Redis keys could be longer; humans can't). */
export const MAX_STREAM_NAME_LENGTH = 512;
const CATEGORY = /^[A-Za-z][A-Za-z0-9_.]{0,99}$/;
// Braces would move the Redis Cluster hash tag; control, format and whitespace characters make
// keys that print ambiguously in logs and CLIs. Everything else (UUIDs, emails, unicode) is fine.
const FORBIDDEN_ID_CHARACTER = /[{}\p{Cc}\p{Cf}\p{Z}\s]/u;
const PREFIX = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * Parses and validates `<category>-<id>`: the category is the part before the first "-"
 * (a letter, then letters, digits, "_" or "."); the id is the rest, non-empty, with no braces,
 * whitespace or control characters.
 *
 * @example
 * parseStreamName("cart-42"); // { streamName: "cart-42", category: "cart", id: "42" }
 */
export function parseStreamName(streamName: unknown): StreamName {
  if (typeof streamName !== "string") {
    throw new InvalidStreamNameError(String(streamName), "a stream name is a string");
  }
  if (streamName.length === 0) throw new InvalidStreamNameError(streamName, "it is empty");
  if (streamName.length > MAX_STREAM_NAME_LENGTH) {
    throw new InvalidStreamNameError(
      streamName,
      `it is ${streamName.length} characters long, the limit is ${MAX_STREAM_NAME_LENGTH}`,
    );
  }
  const dash = streamName.indexOf("-");
  if (dash < 0) {
    throw new InvalidStreamNameError(streamName, 'it has no "-" between category and id');
  }
  const category = streamName.slice(0, dash);
  const id = streamName.slice(dash + 1);
  if (!CATEGORY.test(category)) {
    throw new InvalidStreamNameError(
      streamName,
      `category "${category}" must start with a letter and use only letters, digits, "_" and "." (at most 100)`,
    );
  }
  if (id.length === 0)
    throw new InvalidStreamNameError(streamName, "the id after the category is empty");
  if (FORBIDDEN_ID_CHARACTER.test(id) || !id.isWellFormed()) {
    throw new InvalidStreamNameError(
      streamName,
      "the id may not contain braces, whitespace, control characters or lone surrogates",
    );
  }
  return { streamName, category, id };
}

/**
 * Validates a category name (the same rule as the category part of a stream name).
 *
 * @example
 * assertCategory("cart");
 */
export function assertCategory(category: unknown): string {
  if (typeof category !== "string" || !CATEGORY.test(category)) {
    throw new InvalidArgumentError(
      "category",
      `${JSON.stringify(category)} must start with a letter and use only letters, digits, "_" and "." (at most 100 characters).`,
    );
  }
  return category;
}

/**
 * Validates a key prefix: 1–64 of letters, digits, "_", ".", ":" and "-" (no braces, so the hash
 * tag always comes from streamstore).
 *
 * @example
 * assertKeyPrefix("shop");
 */
export function assertKeyPrefix(prefix: unknown): string {
  if (typeof prefix !== "string" || !PREFIX.test(prefix)) {
    throw new InvalidArgumentError(
      "prefix",
      `${JSON.stringify(prefix)} must be 1–64 characters of letters, digits, "_", ".", ":" and "-".`,
    );
  }
  return prefix;
}

/**
 * The partition of an aggregate id: FNV-1a (32 bit) of its UTF-8 bytes, modulo the partition
 * count. Stable across processes, versions and languages, so it can never move an aggregate.
 *
 * @example
 * partitionOf("42", 8); // always the same number in 0..7
 */
export function partitionOf(id: string, partitions: number): number {
  if (partitions === 1) return 0;
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(id)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % partitions;
}

/**
 * Builds every Redis key streamstore uses under one prefix. All keys of one category partition
 * share the hash tag `{<category>:<partition>}`, so one script touching an aggregate's index and
 * its partition log always stays on one Redis Cluster slot. See docs/key-layout.md.
 *
 * @example
 * const keys = keyLayout("shop");
 * keys.index("cart", 0, "42"); // "shop:{cart:0}:i:42"
 */
export function keyLayout(prefix: string) {
  assertKeyPrefix(prefix);
  const tag = (category: string, partition: number) => `${prefix}:{${category}:${partition}}`;
  return {
    prefix,
    /** The hash tag of a category partition, braces included. */
    tag,
    /**
     * An aggregate's index: a string of one 12-byte record per version, each the log position of
     * that version's event (the event itself is stored once, in the log).
     */
    index: (category: string, partition: number, id: string) =>
      `${tag(category, partition)}:i:${id}`,
    /** The category partition log projections read: entry ids assigned by Redis (`*`). */
    log: (category: string, partition: number) => `${tag(category, partition)}:log`,
    /** An aggregate's latest snapshot. */
    snapshot: (category: string, partition: number, id: string) =>
      `${tag(category, partition)}:snap:${id}`,
    /**
     * Hash of a category partition's archive seam: `position`, the last log position archived
     * and trimmed from the log (every entry up to it is in the archive only), and `events`, how
     * many were. Absent until the archiver first trims the partition. Only ever grows.
     */
    archived: (category: string, partition: number) => `${tag(category, partition)}:archived`,
    /** String: the archiver's lease on a category partition (its owner's token, with a TTL). */
    archiver: (category: string, partition: number) => `${tag(category, partition)}:archiver`,
    /** Hash: category → partition count, fixed at the category's first write. */
    categories: () => `${prefix}:categories`,
    /**
     * String: the storage layout version of this prefix (`STORAGE_LAYOUT_VERSION`), written at
     * the first append. A prefix with categories but no layout key was written by streamstore
     * before the single-copy layout and is refused.
     */
    layout: () => `${prefix}:layout`,
  };
}

/**
 * The storage layout this code reads and writes: 2 = each event once in its partition log, with
 * a 12-byte-per-event index per aggregate (1 was a Redis stream per aggregate plus the log).
 */
export const STORAGE_LAYOUT_VERSION = 2;

/** The key builders of one prefix; see {@link keyLayout}. */
export type KeyLayout = ReturnType<typeof keyLayout>;
