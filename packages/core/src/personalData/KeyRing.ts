import { type DataKey, dataKeyOf } from "./envelope.js";
import { SubjectForgottenError } from "./errors.js";
import type { PersonalDataKeyStore } from "./keyStore.js";

/** The default of `personalData.keyCacheTtlMs`: how long a process keeps using a key it read. */
export const DEFAULT_KEY_CACHE_TTL_MS = 10_000;

interface CachedKey {
  key: DataKey | null;
  expiresAt: number;
}

/**
 * A process's cache of data keys in front of a {@link PersonalDataKeyStore}. Reads are
 * synchronous (decodeEntry runs in loops that must not await), so a reader loads the subjects of
 * a page first (`load`), then decodes. A key is used at most `ttlMs` after it was read: the bound
 * on how long another process keeps decrypting after a forget. A destroyed key is cached for good.
 *
 * @example
 * const ring = new KeyRing(createRedisKeyStore({ redis }), 10_000);
 * await ring.load(["c-1"]);
 * ring.keyFor("c-1");
 */
export class KeyRing {
  private readonly cache = new Map<string, CachedKey>();

  constructor(
    readonly keyStore: PersonalDataKeyStore,
    readonly ttlMs: number = DEFAULT_KEY_CACHE_TTL_MS,
  ) {}

  private fresh(subject: string, now: number): CachedKey | undefined {
    const cached = this.cache.get(subject);
    if (cached && cached.expiresAt > now) return cached;
    return undefined;
  }

  private remember(subject: string, raw: Buffer | null | undefined, now: number): DataKey | null {
    const key = raw ? dataKeyOf(raw) : null;
    // A destroyed key (null) never comes back: cached for good. One never made (undefined) may be
    // made later by a writer: cached for the TTL like a key.
    this.cache.set(subject, {
      key,
      expiresAt: raw === null ? Number.POSITIVE_INFINITY : now + this.ttlMs,
    });
    // Bounded: a long-running reader of many subjects must not keep every key forever.
    if (this.cache.size > 100_000) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    return key;
  }

  /** Loads the keys of these subjects that are not cached (or are past their TTL). */
  async load(subjects: Iterable<string>): Promise<void> {
    const now = Date.now();
    const wanted = [...new Set(subjects)].filter((subject) => !this.fresh(subject, now));
    await Promise.all(
      wanted.map(async (subject) => {
        // Never made (a key deleted by hand): nothing can open its values; read as forgotten.
        this.remember(subject, await this.keyStore.get(subject), Date.now());
      }),
    );
  }

  /** A loaded key: the key, or null when destroyed or never loaded (values read as forgotten). */
  keyFor(subject: string): DataKey | null {
    return this.cache.get(subject)?.key ?? null;
  }

  /**
   * The keys to encrypt with when all are cached and live (the hot path: no await), else
   * undefined.
   */
  cachedForWrite(subjects: Iterable<string>): Map<string, DataKey> | undefined {
    const keys = new Map<string, DataKey>();
    const now = Date.now();
    for (const subject of subjects) {
      const key = this.fresh(subject, now)?.key;
      if (!key) return undefined;
      keys.set(subject, key);
    }
    return keys;
  }

  /** The keys to encrypt with, made on first use; a forgotten subject is refused. */
  async forWrite(subjects: Iterable<string>): Promise<Map<string, DataKey>> {
    const keys = new Map<string, DataKey>();
    const now = Date.now();
    await Promise.all(
      [...new Set(subjects)].map(async (subject) => {
        let key = this.fresh(subject, now)?.key;
        if (key === undefined) {
          const stored = await this.keyStore.get(subject);
          const raw = stored === undefined ? await this.keyStore.create(subject) : stored;
          if (raw === null) throw new SubjectForgottenError(subject);
          key = this.remember(subject, raw, Date.now());
        }
        if (key === null) throw new SubjectForgottenError(subject);
        keys.set(subject, key);
      }),
    );
    return keys;
  }

  /** Destroys the subject's key in the key store and in this process's cache. */
  async forget(subject: string, audit: { by?: string; reason?: string }): Promise<void> {
    await this.keyStore.destroy(subject, audit);
    this.cache.set(subject, { key: null, expiresAt: Number.POSITIVE_INFINITY });
  }
}
