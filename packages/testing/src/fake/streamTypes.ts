import type { SortedIdMap } from "./SortedIdMap.js";
import type { StreamId } from "./StreamId.js";

// The shapes a fake stream is made of: entries, nodes, consumer groups, their PELs, trim args.

/**
 * One entry of a stream. `fields` alternates field and value, as XADD received them.
 *
 * @example
 * ```ts
 * const entry = stream.get(parseStreamId("1-1"));
 * ```
 */
export interface StreamEntry {
  readonly id: StreamId;
  /** The id as Redis prints it, computed once at XADD: replies repeat it for every read. */
  readonly idText: string;
  readonly fields: readonly string[];
  deleted: boolean;
  readonly node: StreamNode;
}

/**
 * A stand-in for one listpack node of Redis's radix tree. Redis trims with `~` only by whole
 * nodes (`streamTrim` in `src/t_stream.c`), and XINFO reports the node count, so the fake keeps
 * the same node boundaries: a node closes at `stream-node-max-entries` (100) entries, counting
 * deleted ones, or when its estimated size reaches `stream-node-max-bytes` (4096).
 *
 * @example
 * ```ts
 * stream.nodeCount; // how many nodes XINFO reports as radix-tree-keys
 * ```
 */
export interface StreamNode {
  live: number;
  total: number;
  bytes: number;
  removed: boolean;
  readonly masterFields: readonly string[];
  lastId: StreamId;
}

/**
 * An entry of a pending entries list (Redis's `streamNACK`).
 *
 * @example
 * ```ts
 * group.pending.get(id)?.deliveryCount;
 * ```
 */
export interface PendingEntry {
  readonly id: StreamId;
  consumer: StreamConsumer;
  deliveryTime: number;
  deliveryCount: number;
}

/**
 * A consumer of a group (Redis 7.0's `streamConsumer`: name, seen-time and its own PEL).
 *
 * @example
 * ```ts
 * group.consumers.get("worker-1")?.pending.size;
 * ```
 */
export interface StreamConsumer {
  readonly name: string;
  seenTime: number;
  readonly pending: SortedIdMap<PendingEntry>;
}

/**
 * A consumer group (Redis 7.0's `streamCG`). `entriesRead` is -1 when unknown.
 *
 * @example
 * ```ts
 * stream.groups.get("billing")?.lastId;
 * ```
 */
export interface ConsumerGroup {
  readonly name: string;
  lastId: StreamId;
  entriesRead: number;
  readonly pending: SortedIdMap<PendingEntry>;
  readonly consumers: Map<string, StreamConsumer>;
}

/**
 * Trimming request, parsed from XADD/XTRIM arguments (Redis's `streamAddTrimArgs`).
 *
 * @example
 * ```ts
 * stream.trim({ strategy: "maxlen", maxLen: 1000, minId: 0n, approx: true, limit: 10_000 });
 * ```
 */
export interface StreamTrimArgs {
  strategy: "maxlen" | "minid";
  maxLen: number;
  minId: StreamId;
  approx: boolean;
  /** 0 = no limit. */
  limit: number;
}
