import { SortedIdMap } from "./SortedIdMap.js";
import {
  formatStreamId,
  MAX_STREAM_ID,
  MIN_STREAM_ID,
  makeStreamId,
  type StreamId,
  streamIdMs,
} from "./StreamId.js";
import type {
  ConsumerGroup,
  PendingEntry,
  StreamConsumer,
  StreamEntry,
  StreamNode,
  StreamTrimArgs,
} from "./streamTypes.js";

export type {
  ConsumerGroup,
  PendingEntry,
  StreamConsumer,
  StreamEntry,
  StreamNode,
  StreamTrimArgs,
} from "./streamTypes.js";

const NODE_MAX_ENTRIES = 100;
const NODE_MAX_BYTES = 4096;

/** Byte size of a listpack string element (header + data + backlen), from `src/listpack.c`. */
function listpackStringSize(text: string): number {
  const length = text.length;
  if (length < 64) return length + 2;
  if (length < 4096) return length + 2 + (length + 2 < 128 ? 1 : 2);
  return length + 5 + 3;
}

function listpackIntegerSize(value: bigint): number {
  if (value < 128n) return 2;
  if (value < 4096n) return 3;
  if (value < 32768n) return 4;
  if (value < 8388608n) return 5;
  if (value < 2147483648n) return 6;
  return 10;
}

function sameFields(fields: readonly string[], master: readonly string[]): boolean {
  if (fields.length !== master.length * 2) return false;
  for (let index = 0; index < master.length; index++) {
    if (fields[index * 2] !== master[index]) return false;
  }
  return true;
}

/**
 * A Redis stream: entries sorted by id, plus the metadata Redis 7.0 keeps (`last_id`, `first_id`,
 * `max_deleted_entry_id`, `entries_added`) and the consumer groups.
 *
 * Entries live in one array in id order (ids only grow, so XADD appends in amortised O(1)).
 * XDEL and trimming flag entries as deleted, like Redis flags listpack entries; a head offset
 * skips the trimmed prefix and the array is compacted when garbage dominates. Range reads bisect
 * to the start and walk to the end: O(log n + k).
 *
 * @example
 * ```ts
 * const stream = new RedisStream();
 * stream.append(stream.nextId(Date.now()), ["type", "created"]);
 * stream.range(MIN_STREAM_ID, MAX_STREAM_ID, 0, false);
 * ```
 */
export class RedisStream {
  private entries: StreamEntry[] = [];
  private head = 0;
  private deletedInArray = 0;
  private tail: StreamNode | undefined;
  /** Number of live nodes: XINFO's `radix-tree-keys`. */
  nodeCount = 0;
  length = 0;
  lastId: StreamId = MIN_STREAM_ID;
  firstId: StreamId = MIN_STREAM_ID;
  maxDeletedId: StreamId = MIN_STREAM_ID;
  entriesAdded = 0;
  readonly groups = new Map<string, ConsumerGroup>();

  /** The id XADD `*` generates at `nowMs` (`streamNextID`). */
  nextId(nowMs: number): StreamId {
    const ms = BigInt(Math.max(0, Math.trunc(nowMs)));
    return ms > streamIdMs(this.lastId) ? makeStreamId(ms, 0n) : this.lastId + 1n;
  }

  /** Appends an entry whose id the caller has checked to be greater than `lastId`. */
  append(id: StreamId, fields: readonly string[]): StreamEntry {
    let valueBytes = 0;
    for (const field of fields) valueBytes += field.length;
    let node = this.tail;
    if (
      node === undefined ||
      node.total >= NODE_MAX_ENTRIES ||
      node.bytes + valueBytes >= NODE_MAX_BYTES
    ) {
      const masterFields: string[] = [];
      for (let index = 0; index < fields.length; index += 2) {
        masterFields.push(fields[index] as string);
      }
      let bytes = 7 + 2 + 2 + 2 + 2;
      for (const field of masterFields) bytes += listpackStringSize(field);
      node = { live: 0, total: 0, bytes, removed: false, masterFields, lastId: id };
      this.tail = node;
      this.nodeCount++;
    }
    let entryBytes = 2 + listpackIntegerSize(streamIdMs(id)) + 2 + 2;
    const compressed = sameFields(fields, node.masterFields);
    if (!compressed) entryBytes += 2;
    for (let index = 0; index < fields.length; index++) {
      if (compressed && index % 2 === 0) continue;
      entryBytes += listpackStringSize(fields[index] as string);
    }
    node.bytes += entryBytes;
    node.live++;
    node.total++;
    node.lastId = id;
    const entry: StreamEntry = { id, idText: formatStreamId(id), fields, deleted: false, node };
    this.entries.push(entry);
    this.length++;
    this.entriesAdded++;
    this.lastId = id;
    if (this.length === 1) this.firstId = id;
    return entry;
  }

  /** The live entry with this id, if any (`streamEntryExists`). */
  get(id: StreamId): StreamEntry | undefined {
    const index = this.lowerBound(id);
    const entry = this.entries[index];
    return entry !== undefined && entry.id === id && !entry.deleted ? entry : undefined;
  }

  /** Live entries with `start <= id <= end`, at most `count` (0 = all), optionally reversed. */
  range(start: StreamId, end: StreamId, count: number, reverse: boolean): StreamEntry[] {
    const result: StreamEntry[] = [];
    if (start > end) return result;
    if (!reverse) {
      for (let index = this.lowerBound(start); index < this.entries.length; index++) {
        const entry = this.entries[index] as StreamEntry;
        if (entry.id > end) break;
        if (entry.deleted) continue;
        result.push(entry);
        if (count > 0 && result.length === count) break;
      }
    } else {
      for (let index = this.lowerBound(end + 1n) - 1; index >= this.head; index--) {
        const entry = this.entries[index] as StreamEntry;
        if (entry.id < start) break;
        if (entry.deleted) continue;
        result.push(entry);
        if (count > 0 && result.length === count) break;
      }
    }
    return result;
  }

  /** The first live entry. */
  firstEntry(): StreamEntry | undefined {
    for (let index = this.head; index < this.entries.length; index++) {
      const entry = this.entries[index] as StreamEntry;
      if (!entry.deleted) return entry;
    }
    return undefined;
  }

  /** The last live entry (`streamLastValidID`). */
  lastEntry(): StreamEntry | undefined {
    for (let index = this.entries.length - 1; index >= this.head; index--) {
      const entry = this.entries[index] as StreamEntry;
      if (!entry.deleted) return entry;
    }
    return undefined;
  }

  /** XDEL of one id; updates `first_id`/`max_deleted_entry_id` like `xdelCommand`. */
  delete(id: StreamId): boolean {
    const entry = this.get(id);
    if (entry === undefined) return false;
    this.markDeleted(entry);
    if (id > this.maxDeletedId) this.maxDeletedId = id;
    if (this.length === 0) this.firstId = MIN_STREAM_ID;
    else if (id === this.firstId) this.firstId = this.firstEntry()?.id ?? MIN_STREAM_ID;
    this.maybeCompact();
    return true;
  }

  /**
   * Trims like Redis 7.0's `streamTrim`: whole nodes from the head while they can go entirely;
   * with `~` stop at the first node that cannot, otherwise flag entries one by one.
   * Returns the number of deleted entries.
   */
  trim(args: StreamTrimArgs): number {
    let deleted = 0;
    let index = this.head;
    while (index < this.entries.length) {
      if (args.strategy === "maxlen" && this.length <= args.maxLen) break;
      const first = this.entries[index] as StreamEntry;
      if (first.deleted) {
        index++;
        continue;
      }
      const node = first.node;
      if (args.limit > 0 && deleted + node.live > args.limit) break;
      const removeNode =
        args.strategy === "maxlen"
          ? this.length - node.live >= args.maxLen
          : node.lastId < args.minId;
      if (removeNode) {
        while (index < this.entries.length && (this.entries[index] as StreamEntry).node === node) {
          const entry = this.entries[index] as StreamEntry;
          if (!entry.deleted) {
            this.markDeleted(entry);
            deleted++;
          }
          index++;
        }
        continue;
      }
      if (args.approx) break;
      while (index < this.entries.length && (this.entries[index] as StreamEntry).node === node) {
        const entry = this.entries[index] as StreamEntry;
        const stop =
          args.strategy === "maxlen" ? this.length <= args.maxLen : entry.id >= args.minId;
        if (stop) break;
        if (!entry.deleted) {
          // Redis flags the entry inside the node but never frees the node here, even if it
          // empties: only whole-node removal above does.
          entry.deleted = true;
          this.deletedInArray++;
          entry.node.live--;
          this.length--;
          deleted++;
        }
        index++;
      }
      break;
    }
    if (this.length === 0) this.firstId = MIN_STREAM_ID;
    else if (deleted > 0) this.firstId = this.firstEntry()?.id ?? MIN_STREAM_ID;
    this.maybeCompact();
    return deleted;
  }

  /** `streamRangeHasTombstones`: may a deleted entry lie in `[start, end]`? */
  rangeHasTombstones(start: StreamId, end: StreamId = MAX_STREAM_ID): boolean {
    if (this.length === 0 || this.maxDeletedId === MIN_STREAM_ID) return false;
    if (this.firstId > this.maxDeletedId) return false;
    return start <= this.maxDeletedId && this.maxDeletedId <= end;
  }

  /** `streamEstimateDistanceFromFirstEverEntry`; -1 when Redis cannot tell. */
  estimateDistanceFromFirstEverEntry(id: StreamId): number {
    if (this.entriesAdded === 0) return 0;
    if (this.length === 0 && id <= this.lastId) return this.entriesAdded;
    if (id === this.lastId) return this.entriesAdded;
    if (id > this.lastId) return -1;
    if (this.maxDeletedId === MIN_STREAM_ID || this.maxDeletedId < this.firstId) {
      if (id < this.firstId) return this.entriesAdded - this.length;
      if (id === this.firstId) return this.entriesAdded - this.length + 1;
    }
    return -1;
  }

  /** `streamReplyWithCGLag`: the group's lag, or `null` when Redis reports it as unknown. */
  lag(group: ConsumerGroup): number | null {
    if (this.entriesAdded === 0) return 0;
    if (group.entriesRead !== -1 && !this.rangeHasTombstones(group.lastId)) {
      return this.entriesAdded - group.entriesRead;
    }
    const entriesRead = this.estimateDistanceFromFirstEverEntry(group.lastId);
    return entriesRead === -1 ? null : this.entriesAdded - entriesRead;
  }

  /**
   * Moves a group's `last_id` over a delivered entry and keeps `entries_read` as
   * `streamReplyWithRange` does.
   */
  advanceGroup(group: ConsumerGroup, id: StreamId): void {
    if (id <= group.lastId) return;
    if (group.entriesRead !== -1 && !this.rangeHasTombstones(id)) {
      group.entriesRead++;
    } else if (this.entriesAdded > 0) {
      group.entriesRead = this.estimateDistanceFromFirstEverEntry(id);
    }
    group.lastId = id;
  }

  /** A deep copy (entries are immutable apart from the deleted flag, which copies drop). */
  clone(): RedisStream {
    const copy = new RedisStream();
    const nodes = new Map<StreamNode, StreamNode>();
    for (let index = this.head; index < this.entries.length; index++) {
      const entry = this.entries[index] as StreamEntry;
      let node = nodes.get(entry.node);
      if (node === undefined) {
        node = { ...entry.node };
        nodes.set(entry.node, node);
      }
      copy.entries.push({ ...entry, node });
    }
    copy.deletedInArray = this.deletedInArray;
    copy.tail = this.tail === undefined ? undefined : nodes.get(this.tail);
    copy.nodeCount = this.nodeCount;
    copy.length = this.length;
    copy.lastId = this.lastId;
    copy.firstId = this.firstId;
    copy.maxDeletedId = this.maxDeletedId;
    copy.entriesAdded = this.entriesAdded;
    for (const group of this.groups.values()) {
      const groupCopy: ConsumerGroup = {
        name: group.name,
        lastId: group.lastId,
        entriesRead: group.entriesRead,
        pending: new SortedIdMap(),
        consumers: new Map(),
      };
      for (const consumer of group.consumers.values()) {
        groupCopy.consumers.set(consumer.name, {
          name: consumer.name,
          seenTime: consumer.seenTime,
          pending: new SortedIdMap(),
        });
      }
      for (const [id, pending] of group.pending.entriesFrom(MIN_STREAM_ID)) {
        const consumer = groupCopy.consumers.get(pending.consumer.name) as StreamConsumer;
        const pendingCopy: PendingEntry = { ...pending, consumer };
        groupCopy.pending.set(id, pendingCopy);
        consumer.pending.set(id, pendingCopy);
      }
      copy.groups.set(group.name, groupCopy);
    }
    return copy;
  }

  /** Rough memory footprint for MEMORY USAGE: listpack bytes plus rax and group overhead. */
  estimateMemory(): number {
    let bytes = 80 + this.nodeCount * 64;
    let node: StreamNode | undefined;
    for (let index = this.head; index < this.entries.length; index++) {
      const entry = this.entries[index] as StreamEntry;
      if (entry.node !== node && !entry.node.removed) {
        node = entry.node;
        bytes += node.bytes;
      }
    }
    for (const group of this.groups.values()) bytes += 128 + group.pending.size * 80;
    return bytes;
  }

  private markDeleted(entry: StreamEntry): void {
    entry.deleted = true;
    this.deletedInArray++;
    this.length--;
    const node = entry.node;
    node.live--;
    if (node.live === 0 && !node.removed) {
      // An emptied node is freed (`streamIteratorRemoveEntry`), so the next XADD opens a new one.
      node.removed = true;
      this.nodeCount--;
      if (this.tail === node) this.tail = undefined;
    }
  }

  private maybeCompact(): void {
    while (this.head < this.entries.length && (this.entries[this.head] as StreamEntry).deleted) {
      this.head++;
      this.deletedInArray--;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
    if (this.deletedInArray > 1024 && this.deletedInArray * 2 > this.entries.length - this.head) {
      this.entries = this.entries.slice(this.head).filter((entry) => !entry.deleted);
      this.head = 0;
      this.deletedInArray = 0;
    }
  }

  private lowerBound(id: StreamId): number {
    let low = this.head;
    let high = this.entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.entries[middle] as StreamEntry).id < id) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
