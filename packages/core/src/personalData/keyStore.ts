import { randomBytes } from "node:crypto";
import type { Cluster, Redis } from "ioredis";
import { assertRedisClient } from "../connection/assertRedisClient.js";

/**
 * Where subjects' data keys live. `get` answers the key, `null` once destroyed, undefined when
 * none was ever made; `create` makes one unless there is one (and answers whichever is kept);
 * `destroy` replaces it with a tombstone for good.
 */
export interface PersonalDataKeyStore {
  get(subject: string): Promise<Buffer | null | undefined>;
  create(subject: string): Promise<Buffer | null>;
  destroy(subject: string, audit: { by?: string; reason?: string }): Promise<void>;
}

/** Options of {@link createRedisKeyStore}. */
export interface RedisKeyStoreOptions {
  redis: Redis | Cluster;
  /** The store's key prefix (default `"ss"`). */
  prefix?: string;
  /**
   * Wraps a new data key before it is written (a KMS `Encrypt` with your master key). With it,
   * Redis (and its AOF, RDB and replicas) never holds a usable key. Default: stored as it is.
   */
  wrapKey?: (key: Buffer, subject: string) => Promise<string>;
  /** Undoes `wrapKey` (a KMS `Decrypt`). Required with `wrapKey`. */
  unwrapKey?: (wrapped: string, subject: string) => Promise<Buffer>;
}

// Stored forms: "k1:<base64 key>", "w1:<wrapped>", "x1:<ms of the forget>" (a tombstone).
const RAW = "k1:";
const WRAPPED = "w1:";
const TOMBSTONE = "x1:";

/** The key of a subject's data key: hash-tagged by subject, so each lives on its own slot. */
export function dataKeyKey(prefix: string, subject: string): string {
  return `${prefix}:{pd:${subject}}:key`;
}

/** The audit stream of forgets: subject id, time and who, never personal data. */
export function personalDataAuditKey(prefix: string): string {
  return `${prefix}:pd:audit`;
}

/**
 * The default key store: one Redis string per subject under the prefix
 * (`<prefix>:{pd:<subject>}:key`), with an optional wrap/unwrap hook for a KMS.
 *
 * @example
 * const keyStore = createRedisKeyStore({ redis, prefix: "shop", wrapKey: kms.encrypt, unwrapKey: kms.decrypt });
 */
export function createRedisKeyStore(options: RedisKeyStoreOptions): PersonalDataKeyStore {
  const { redis, wrapKey, unwrapKey } = options;
  assertRedisClient(redis);
  const prefix = options.prefix ?? "ss";
  if ((wrapKey === undefined) !== (unwrapKey === undefined)) {
    throw new Error(
      '[streamstore] createRedisKeyStore: give both wrapKey and unwrapKey, or neither (see "Personal data" in the @streamstore/core README).',
    );
  }
  const decode = async (
    subject: string,
    stored: string | null,
  ): Promise<Buffer | null | undefined> => {
    if (stored === null) return undefined;
    if (stored.startsWith(TOMBSTONE)) return null;
    if (stored.startsWith(RAW)) return Buffer.from(stored.slice(RAW.length), "base64");
    if (stored.startsWith(WRAPPED)) {
      if (!unwrapKey) {
        throw new Error(
          `[streamstore] the data key of "${subject}" is wrapped, and this key store has no unwrapKey: configure the same KMS hooks in every process (see "Personal data" in the @streamstore/core README).`,
        );
      }
      return unwrapKey(stored.slice(WRAPPED.length), subject);
    }
    throw new Error(
      `[streamstore] the data key of "${subject}" (${dataKeyKey(prefix, subject)}) is not in a known format: it was written by hand (see "Personal data" in the @streamstore/core README).`,
    );
  };
  return {
    async get(subject) {
      return decode(subject, await redis.get(dataKeyKey(prefix, subject)));
    },
    async create(subject) {
      const key = randomBytes(32);
      const stored = wrapKey
        ? `${WRAPPED}${await wrapKey(key, subject)}`
        : `${RAW}${key.toString("base64")}`;
      const created = await redis.set(dataKeyKey(prefix, subject), stored, "NX");
      if (created === "OK") return key;
      // Another process made it first (or it was forgotten): theirs is the one.
      const existing = await decode(subject, await redis.get(dataKeyKey(prefix, subject)));
      if (existing === undefined) {
        throw new Error(
          `[streamstore] the data key of "${subject}" vanished while it was created: retry.`,
        );
      }
      return existing;
    },
    async destroy(subject, audit) {
      // Overwritten, not deleted: a tombstone keeps a later append from creating a new key.
      await redis.set(dataKeyKey(prefix, subject), `${TOMBSTONE}${Date.now()}`);
      const fields = ["subject", subject, "at", new Date().toISOString()];
      if (audit.by) fields.push("by", audit.by);
      if (audit.reason) fields.push("reason", audit.reason);
      await redis.xadd(personalDataAuditKey(prefix), "*", ...fields);
    },
  };
}
