import { formatStreamId, type StreamId } from "./StreamId.js";

/**
 * A map from stream ids to values that also iterates in id order, the role rax trees play for
 * Redis's pending entries lists (`group->pel`, `consumer->pel` in `src/t_stream.c`).
 *
 * Lookups go through a `Map`; order comes from a sorted key array searched by bisection. Deletes
 * only drop the `Map` entry and leave a stale key behind, compacted once stale keys outnumber live
 * ones, so XACK of the oldest entry (the common case) is amortised O(1) instead of an O(n) splice.
 *
 * @example
 * ```ts
 * const pel = new SortedIdMap<string>();
 * pel.set(2n, "b");
 * pel.set(1n, "a");
 * [...pel.valuesFrom(0n)]; // ["a", "b"]
 * ```
 */
export class SortedIdMap<ValueType> {
  // Keyed by a string form of the id: V8 hashes a BigInt by its lowest 64-bit digit only, so
  // ids packed as `ms << 64 | seq` with equal sequences (all `*` ids of distinct ms) would share
  // one hash bucket and turn every lookup into a scan.
  private readonly values = new Map<string, ValueType>();
  private keys: StreamId[] = [];
  private stale = 0;

  /** Number of live entries. */
  get size(): number {
    return this.values.size;
  }

  /** `idText`, when the caller has it, must be the canonical `<ms>-<seq>` form of `id`. */
  get(id: StreamId, idText?: string): ValueType | undefined {
    return this.values.get(idText ?? slot(id));
  }

  has(id: StreamId): boolean {
    return this.values.has(slot(id));
  }

  set(id: StreamId, value: ValueType, idText?: string): void {
    const key = idText ?? slot(id);
    if (!this.values.has(key)) {
      const last = this.keys[this.keys.length - 1];
      if (last === undefined || id > last) {
        this.keys.push(id);
      } else {
        const position = this.lowerBound(id);
        if (this.keys[position] === id) {
          this.stale--;
        } else {
          this.keys.splice(position, 0, id);
        }
      }
    }
    this.values.set(key, value);
  }

  delete(id: StreamId, idText?: string): boolean {
    if (!this.values.delete(idText ?? slot(id))) return false;
    this.stale++;
    if (this.stale > 32 && this.stale > this.values.size) this.compact();
    return true;
  }

  /** Live entries with id >= `start`, in id order. */
  *entriesFrom(start: StreamId): IterableIterator<[StreamId, ValueType]> {
    for (let index = this.lowerBound(start); index < this.keys.length; index++) {
      const key = this.keys[index] as StreamId;
      const value = this.values.get(slot(key));
      if (value !== undefined) yield [key, value];
    }
  }

  /** Live values with id >= `start`, in id order. */
  *valuesFrom(start: StreamId): IterableIterator<ValueType> {
    for (const [, value] of this.entriesFrom(start)) yield value;
  }

  /** The smallest live id. */
  firstKey(): StreamId | undefined {
    for (const key of this.keys) if (this.values.has(slot(key))) return key;
    return undefined;
  }

  /** The largest live id. */
  lastKey(): StreamId | undefined {
    for (let index = this.keys.length - 1; index >= 0; index--) {
      const key = this.keys[index] as StreamId;
      if (this.values.has(slot(key))) return key;
    }
    return undefined;
  }

  private compact(): void {
    this.keys = this.keys.filter((key) => this.values.has(slot(key)));
    this.stale = 0;
  }

  private lowerBound(id: StreamId): number {
    let low = 0;
    let high = this.keys.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.keys[middle] as StreamId) < id) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

function slot(id: StreamId): string {
  return formatStreamId(id);
}
