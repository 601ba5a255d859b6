import { createCipheriv, createDecipheriv, createHmac, randomFillSync } from "node:crypto";

/**
 * The prefix of every encrypted value as stored (a JSON string in an event's data): versioned, so
 * a later format can live beside this one, and recognisable before zod runs.
 */
export const ENVELOPE_PREFIX = "ss:pd1:";

/** A subject's data key, with the two keys derived from it (derived once per cached key). */
export interface DataKey {
  /** The 32 random bytes the key store holds (wrapped, with a KMS). */
  readonly raw: Buffer;
  /** AES-256-GCM key: HMAC-SHA256(raw, "streamstore/pd1/enc"). */
  readonly encryptionKey: Buffer;
  /** Key of the synthetic IV: HMAC-SHA256(raw, "streamstore/pd1/iv"). */
  readonly ivKey: Buffer;
}

/** Derives the working keys of a subject's 32-byte data key. */
export function dataKeyOf(raw: Buffer): DataKey {
  return {
    raw,
    encryptionKey: createHmac("sha256", raw).update("streamstore/pd1/enc").digest(),
    ivKey: createHmac("sha256", raw).update("streamstore/pd1/iv").digest(),
  };
}

/**
 * What an encrypted value is bound to: moved to another event, type, field or subject, it fails.
 * `field` names what the envelope holds (an event's personal field names joined by ",").
 */
export interface EnvelopeBinding {
  eventId: string;
  eventType: string;
  field: string;
  subject: string;
}

function associatedData(binding: EnvelopeBinding): Buffer {
  // Length-prefixed parts: no two bindings give the same bytes.
  const { eventId, eventType, field, subject } = binding;
  return Buffer.from(
    `${eventId.length}:${eventId}${eventType.length}:${eventType}${field.length}:${field}${subject.length}:${subject}`,
    "utf8",
  );
}

// Random IVs are taken from a pool refilled 256 at a time: one syscall per 256 values.
const IV_POOL = Buffer.alloc(12 * 256);
let ivPoolAt = IV_POOL.length;
function randomIv(): Buffer {
  if (ivPoolAt >= IV_POOL.length) {
    randomFillSync(IV_POOL);
    ivPoolAt = 0;
  }
  const iv = Buffer.from(IV_POOL.subarray(ivPoolAt, ivPoolAt + 12));
  ivPoolAt += 12;
  return iv;
}

/**
 * Encrypts one value (any JSON value) with AES-256-GCM into its stored form,
 * `ss:pd1:<subject>:<field, URI-encoded>:<iv>:<ciphertext+tag>` (base64url): subject and field
 * readable without the key, so a reader knows which key to load and which fields to redact. The 96-bit IV is synthetic,
 * HMAC-SHA256(ivKey, binding ‖ plaintext) truncated: a fresh IV for every distinct value, the
 * same one only for the same value of the same event and field, so a retried append (same event
 * id) stores the very same bytes and stays idempotent. With `iv: "random"` (an event id the store
 * generated, which no retry can repeat) it is 96 random bits, which saves the HMAC.
 *
 * @example
 * const stored = sealValue(key, { eventId, eventType: "CustomerRegistered", field: "email", subject: "c-1" }, "a@b.c");
 */
export function sealValue(
  key: DataKey,
  binding: EnvelopeBinding,
  value: unknown,
  iv: "synthetic" | "random" = "synthetic",
): string {
  const plaintext = Buffer.from(JSON.stringify(value), "utf8");
  const aad = associatedData(binding);
  const nonce =
    iv === "random"
      ? randomIv()
      : createHmac("sha256", key.ivKey).update(aad).update(plaintext).digest().subarray(0, 12);
  const cipher = createCipheriv("aes-256-gcm", key.encryptionKey, nonce);
  cipher.setAAD(aad);
  const sealed = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return `${ENVELOPE_PREFIX}${binding.subject}:${encodeURIComponent(binding.field)}:${nonce.toString("base64url")}:${sealed.toString("base64url")}`;
}

/** The parts of a stored envelope (see {@link parseEnvelope}). */
export interface ParsedEnvelope {
  subject: string;
  field: string;
  iv: Buffer;
  sealed: Buffer;
}

/** The parts of a stored envelope, or undefined when the string is not one. */
export function parseEnvelope(stored: string): ParsedEnvelope | undefined {
  if (!stored.startsWith(ENVELOPE_PREFIX)) return undefined;
  const parts = stored.slice(ENVELOPE_PREFIX.length).split(":");
  if (parts.length !== 4) return undefined;
  const [subject, field, iv, sealed] = parts as [string, string, string, string];
  if (subject.length === 0) return undefined;
  let fieldName: string;
  try {
    fieldName = decodeURIComponent(field);
  } catch {
    return undefined;
  }
  const ivBytes = Buffer.from(iv, "base64url");
  const sealedBytes = Buffer.from(sealed, "base64url");
  if (ivBytes.length !== 12 || sealedBytes.length < 16) return undefined;
  return { subject, field: fieldName, iv: ivBytes, sealed: sealedBytes };
}

/**
 * Decrypts a stored envelope (or one already parsed). Throws when the envelope is malformed, was made for another
 * binding (moved to another event or field) or was altered.
 *
 * @example
 * const email = openValue(key, binding, stored);
 */
export function openValue(
  key: DataKey,
  binding: EnvelopeBinding,
  stored: string | ParsedEnvelope,
): unknown {
  const envelope = typeof stored === "string" ? parseEnvelope(stored) : stored;
  if (!envelope) throw new Error("it is not a personal-data envelope");
  // Subject and field are not secrets (they are stored in the clear); the tag checks them too.
  if (envelope.subject !== binding.subject) throw new Error("it names another data subject");
  if (envelope.field !== binding.field) throw new Error("it names another field");
  const decipher = createDecipheriv("aes-256-gcm", key.encryptionKey, envelope.iv);
  decipher.setAAD(associatedData(binding));
  decipher.setAuthTag(envelope.sealed.subarray(envelope.sealed.length - 16));
  const plaintext = Buffer.concat([
    decipher.update(envelope.sealed.subarray(0, envelope.sealed.length - 16)),
    decipher.final(),
  ]);
  return JSON.parse(plaintext.toString("utf8"));
}
