import type { RedisStream } from "./RedisStream.js";

/**
 * A value stored under a key, tagged with the type name TYPE reports.
 *
 * @example
 * ```ts
 * const value: RedisValue = { type: "string", value: "v" };
 * ```
 */
export type RedisValue =
  | { type: "string"; value: string }
  | { type: "hash"; value: Map<string, string> }
  | { type: "set"; value: Set<string> }
  | { type: "zset"; value: Map<string, number> }
  | { type: "list"; value: string[] }
  | { type: "stream"; value: RedisStream };

/**
 * Hooks the server gives a database so key changes reach WATCH and blocked readers.
 *
 * @example
 * ```ts
 * const listener: KeyspaceListener = { keyModified() {}, keyReady() {} };
 * ```
 */
export interface KeyspaceListener {
  /** `signalModifiedKey`: invalidates WATCHes on the key. */
  keyModified(db: Database, key: string): void;
  /** `signalKeyAsReady`: queues the key for blocked XREAD/XREADGROUP clients. */
  keyReady(db: Database, key: string): void;
}

interface Slot {
  entry: RedisValue;
  /** Creation order, for SCAN cursors that survive deletes (keys alive throughout are never skipped). */
  readonly seq: number;
}

/**
 * One logical database (`SELECT n`): a key → value map with millisecond expiry times, expired
 * lazily on access like Redis's `expireIfNeeded`, and actively by the commands that list keys.
 *
 * @example
 * ```ts
 * const db = new Database(0, listener);
 * db.set("k", { type: "string", value: "v" }, Date.now());
 * ```
 */
export class Database {
  private readonly slots = new Map<string, Slot>();
  private readonly expires = new Map<string, number>();
  private nextSeq = 1;

  constructor(
    readonly index: number,
    private readonly listener: KeyspaceListener,
  ) {}

  /** The live value at `key`, expiring it first if its time has come. */
  get(key: string, now: number): RedisValue | undefined {
    const slot = this.slots.get(key);
    if (slot === undefined) return undefined;
    if (this.expires.size > 0) {
      const at = this.expires.get(key);
      if (at !== undefined && at <= now) {
        this.remove(key);
        return undefined;
      }
    }
    return slot.entry;
  }

  /** Stores a value, keeping the key's TTL unless `keepTtl` is false. Signals the change. */
  set(key: string, entry: RedisValue, keepTtl = true): void {
    const slot = this.slots.get(key);
    if (slot === undefined) {
      this.slots.set(key, { entry, seq: this.nextSeq++ });
    } else {
      // Overwriting a stream unblocks its XREADGROUP readers (`dbOverwrite` in src/db.c).
      if (slot.entry.type === "stream" && slot.entry !== entry) this.listener.keyReady(this, key);
      slot.entry = entry;
    }
    if (!keepTtl) this.expires.delete(key);
    this.listener.keyModified(this, key);
    if (entry.type === "stream") this.listener.keyReady(this, key);
  }

  /** Deletes a key; returns whether it existed. Signals the change. */
  delete(key: string, now: number): boolean {
    if (this.get(key, now) === undefined) return false;
    this.remove(key);
    return true;
  }

  /** Marks a key as modified without replacing its value (in-place updates). */
  touch(key: string): void {
    this.listener.keyModified(this, key);
  }

  /** Signals blocked stream readers that `key` may serve them now (`signalKeyAsReady`). */
  ready(key: string): void {
    this.listener.keyReady(this, key);
  }

  expireAt(key: string): number | undefined {
    return this.expires.get(key);
  }

  setExpireAt(key: string, at: number | undefined): void {
    if (at === undefined) this.expires.delete(key);
    else this.expires.set(key, at);
  }

  /** Live keys in creation order, with their SCAN sequence numbers. Expires what is due. */
  *liveKeys(now: number): IterableIterator<[string, RedisValue, number]> {
    for (const [key, slot] of this.slots) {
      if (this.get(key, now) === undefined) continue;
      yield [key, slot.entry, slot.seq];
    }
  }

  /** Number of keys (after expiring due ones, as Redis's active expiry would eventually). */
  size(now: number): number {
    if (this.expires.size > 0) for (const _ of this.liveKeys(now));
    return this.slots.size;
  }

  expiresCount(): number {
    return this.expires.size;
  }

  /** Removes every key (FLUSHDB), signalling each so WATCH and blocked readers notice. */
  flush(): void {
    for (const key of [...this.slots.keys()]) this.remove(key);
  }

  private remove(key: string): void {
    const slot = this.slots.get(key);
    if (slot === undefined) return;
    this.slots.delete(key);
    this.expires.delete(key);
    this.listener.keyModified(this, key);
    // Deleting a stream unblocks XREADGROUP clients with -UNBLOCKED (`dbGenericDelete`).
    if (slot.entry.type === "stream") this.listener.keyReady(this, key);
  }
}
