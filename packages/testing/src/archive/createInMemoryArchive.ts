import {
  ArchiveConflictError,
  type ArchivedEntry,
  type ArchivePartitionRequest,
  type ArchivePartitionStats,
  type ArchiveStreamRequest,
  ArchiveUnavailableError,
  type EventArchive,
} from "@streamstore/core";
import {
  checkArchiveLastPosition,
  checkArchivePartitionRead,
  checkArchiveStreamRead,
  checkArchiveWrite,
  parsePosition,
} from "@streamstore/core/internal";

/**
 * Options of {@link createInMemoryArchive}.
 *
 * @example
 * const archive = createInMemoryArchive({ name: "memory://cold" });
 */
export interface InMemoryArchiveOptions {
  /** How the archive is named in its errors (`ArchiveUnavailableError.target`). Default `memory://archive`. */
  name?: string;
}

/**
 * What an in-memory archive adds to `EventArchive`, for tests.
 *
 * @example
 * archive.controls.setAvailable(false); // every call now rejects with ArchiveUnavailableError
 */
export interface InMemoryArchiveControls {
  /** `false`: every call rejects with `ArchiveUnavailableError` (nothing stored) until set back to `true`. */
  setAvailable(available: boolean): void;
  /** Copies of every stored entry, by category, partition, then position. */
  entries(): ArchivedEntry[];
}

/**
 * An `EventArchive` in memory with its test controls.
 *
 * @example
 * const archive: InMemoryArchive = createInMemoryArchive();
 */
export type InMemoryArchive = EventArchive & { readonly controls: InMemoryArchiveControls };

interface Stored {
  entry: ArchivedEntry;
  ms: bigint;
  seq: bigint;
  bytes: number;
}
interface Partition {
  category: string;
  partition: number;
  /** Ascending by (ms, seq). */
  log: Stored[];
  byPosition: Map<string, Stored>;
}

// The fixed-width columns of a PostgreSQL row (partition, ms, seq, version, schema version,
// recorded_at): the in-memory archive measures a row as these plus its text columns' bytes.
const FIXED_ROW_BYTES = 40;

const byCategoryThenPartition = (
  a: { category: string; partition: number },
  b: { category: string; partition: number },
) => (a.category === b.category ? a.partition - b.partition : a.category < b.category ? -1 : 1);
const partitionKey = (category: string, partition: number) => `${category}\n${partition}`;
const before = (a: { ms: bigint; seq: bigint }, b: { ms: bigint; seq: bigint }) =>
  a.ms < b.ms || (a.ms === b.ms && a.seq < b.seq);
const positionOf = (position: string) => {
  const [ms, seq] = parsePosition(position) as [bigint, bigint];
  return { ms, seq };
};

/** The index of the first stored entry after `position` (binary search). */
function firstAfter(log: readonly Stored[], position: { ms: bigint; seq: bigint }): number {
  let low = 0;
  let high = log.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (before(position, log[middle] as Stored)) high = middle;
    else low = middle + 1;
  }
  return low;
}

/**
 * The cold tier in memory, with the semantics of `createPostgresArchive` (@streamstore/archive):
 * idempotent all-or-nothing writes keyed by (category, partition, position), one position per
 * (stream, version) (`ArchiveConflictError` otherwise), positions ordered as numbers, the same
 * argument checks and errors. Both pass `testArchive` (@streamstore/testing/contract).
 * `controls.setAvailable(false)` makes it act as an unreachable server.
 *
 * @example
 * const archive = createInMemoryArchive();
 * await archive.write([archivedEntryOf("order", 0, entry)]);
 * archive.controls.setAvailable(false);
 * await archive.lastPosition("order", 0); // rejects with ArchiveUnavailableError
 */
export function createInMemoryArchive(options: InMemoryArchiveOptions = {}): InMemoryArchive {
  const name = options.name ?? "memory://archive";
  const partitions = new Map<string, Partition>();
  /** stream -> version -> stored entry. */
  const streams = new Map<string, Map<number, Stored>>();
  let available = true;
  let closed = false;

  const ready = async () => {
    // Answers come back asynchronously, as from a server.
    await Promise.resolve();
    if (closed) throw new ArchiveUnavailableError(name, "close() was called on this archive");
    if (!available) throw new ArchiveUnavailableError(name, "set unavailable by the test");
  };
  const copy = (stored: Stored): ArchivedEntry => ({ ...stored.entry });

  const archive: InMemoryArchive = {
    async write(entries: readonly ArchivedEntry[]) {
      const checked = checkArchiveWrite(entries);
      if (checked.length === 0) return;
      await ready();
      const added: Stored[] = [];
      for (const entry of checked) {
        const existing = partitions.get(partitionKey(entry.category, entry.partition));
        if (existing?.byPosition.has(entry.position)) continue;
        const stored = streams.get(entry.streamName)?.get(entry.version);
        if (stored)
          throw new ArchiveConflictError(
            entry.streamName,
            entry.version,
            stored.entry.position,
            entry.position,
          );
        const { ms, seq } = positionOf(entry.position);
        const kept: ArchivedEntry = {
          category: entry.category,
          partition: entry.partition,
          position: entry.position,
          streamName: entry.streamName,
          version: entry.version,
          eventId: entry.eventId,
          type: entry.type,
          data: entry.data,
          metadata: entry.metadata,
          schemaVersion: entry.schemaVersion,
        };
        const bytes =
          FIXED_ROW_BYTES +
          [kept.category, kept.streamName, kept.eventId, kept.type, kept.data, kept.metadata ?? ""]
            .map((text) => Buffer.byteLength(text))
            .reduce((sum, length) => sum + length, 0);
        added.push({ entry: kept, ms, seq, bytes });
      }
      // Nothing above changed anything: from here on, everything is stored.
      for (const stored of added) {
        const { category, partition, streamName, version, position } = stored.entry;
        const key = partitionKey(category, partition);
        let target = partitions.get(key);
        if (!target) {
          target = { category, partition, log: [], byPosition: new Map() };
          partitions.set(key, target);
        }
        target.log.splice(firstAfter(target.log, stored), 0, stored);
        target.byPosition.set(position, stored);
        let versions = streams.get(streamName);
        if (!versions) {
          versions = new Map();
          streams.set(streamName, versions);
        }
        versions.set(version, stored);
      }
    },

    async readStream(streamName: string, request: ArchiveStreamRequest) {
      checkArchiveStreamRead(streamName, request);
      await ready();
      const versions = streams.get(streamName);
      if (!versions) return [];
      const wanted = [...versions.keys()]
        .filter((version) => version >= request.from && version <= request.to)
        .sort((a, b) => (request.direction === "forward" ? a - b : b - a))
        .slice(0, request.limit);
      return wanted.map((version) => copy(versions.get(version) as Stored));
    },

    async readPartition(category: string, partition: number, request: ArchivePartitionRequest) {
      checkArchivePartitionRead(category, partition, request);
      await ready();
      const log = partitions.get(partitionKey(category, partition))?.log ?? [];
      const until = request.until === undefined ? undefined : positionOf(request.until);
      const first = firstAfter(log, positionOf(request.after));
      // One past the last entry at or below `until`.
      const end = until ? firstAfter(log, until) : log.length;
      const range = log.slice(first, Math.max(first, end));
      const read =
        request.direction === "backward"
          ? range.slice(-request.limit).reverse()
          : range.slice(0, request.limit);
      return read.map(copy);
    },

    async lastPosition(category: string, partition: number) {
      checkArchiveLastPosition(category, partition);
      await ready();
      return partitions.get(partitionKey(category, partition))?.log.at(-1)?.entry.position;
    },

    async stats() {
      await ready();
      const stats: ArchivePartitionStats[] = [...partitions.values()]
        .filter((target) => target.log.length > 0)
        .map((target) => ({
          category: target.category,
          partition: target.partition,
          events: target.log.length,
          bytes: target.log.reduce((sum, stored) => sum + stored.bytes, 0),
          lastPosition: target.log.at(-1)?.entry.position,
        }));
      return stats.sort(byCategoryThenPartition);
    },

    async close() {
      closed = true;
    },

    controls: {
      setAvailable(value: boolean) {
        available = value;
      },
      entries() {
        return [...partitions.values()]
          .sort(byCategoryThenPartition)
          .flatMap((target) => target.log.map(copy));
      },
    },
  };
  return archive;
}
