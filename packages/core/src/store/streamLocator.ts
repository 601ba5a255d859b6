import type { Cluster, Redis } from "ioredis";
import { isStreamstoreError, PartitionCountMismatchError } from "../errors/index.js";
import {
  type KeyLayout,
  parseStreamName,
  partitionOf,
  type StreamName,
} from "../keys/keyLayout.js";
import type { Logger } from "../logging/Logger.js";
import { parsePartitionCount } from "./categoryRegistry.js";
import { checkLayout } from "./checkLayout.js";
import { checkServer } from "./checkServer.js";
import type { StreamLocation } from "./EventStore.js";

/** What {@link createStreamLocator} needs: the store's client, keys and checked options. */
export interface StreamLocatorOptions {
  redis: Redis | Cluster;
  keys: KeyLayout;
  /** The partition count the options give a category (checked). */
  configuredPartitions(category: string): number;
  serverCheck: "check" | "off";
  allowEviction: boolean;
  logger: Logger | undefined;
}

/**
 * Where a store's streams live, and the checks before its first use of the server: the server
 * (once), the storage layout of the prefix (until current), the partition count of a category
 * (recorded at its first write, cached for the life of the store: it can never change).
 */
export interface StreamLocator {
  /**
   * The location of a stream: the server and layout checked and the category's partition count
   * resolved first (and recorded, when `forWrite`, as at a category's first write).
   */
  locate(streamName: string | StreamName, forWrite?: boolean): Promise<StreamLocation>;
  /**
   * The hot path, with no await: the location of a stream of a known category on a checked
   * server, undefined until then (then call {@link locate}).
   */
  locateKnown(name: StreamName): StreamLocation | undefined;
  /** The partition count of a category (the server and layout checked first). */
  partitionsOf(category: string): Promise<number>;
  /** The recorded partition count of a category, or undefined when never written. */
  recordedPartitionsOf(category: string): Promise<number | undefined>;
}

/**
 * Creates the {@link StreamLocator} of one store: its caches live as long as the store.
 *
 * @example
 * const locator = createStreamLocator({ redis, keys, configuredPartitions: () => 1, serverCheck: "check", allowEviction: false, logger: undefined });
 * const { indexKey } = await locator.locate("account-1");
 */
export function createStreamLocator(options: StreamLocatorOptions): StreamLocator {
  const { redis, keys, configuredPartitions } = options;

  let serverChecked: Promise<unknown> | undefined;
  const ensureServerChecked = (): Promise<unknown> => {
    if (options.serverCheck === "off") return Promise.resolve();
    serverChecked ??= checkServer(redis, {
      // No logger given: checkServer emits its one warning as a process warning instead.
      ...(options.logger ? { logger: options.logger } : {}),
      allowEviction: options.allowEviction,
    }).catch((error: unknown) => {
      // A refused configuration stays refused; a dropped connection is worth another try.
      if (!isStreamstoreError(error)) serverChecked = undefined;
      throw error;
    });
    return serverChecked;
  };

  // Whether the prefix is known to hold this storage layout (checked until it is, then never).
  let layoutChecked = false;
  const ensureLayout = async (forWrite: boolean): Promise<void> => {
    if (!layoutChecked) layoutChecked = (await checkLayout(redis, keys, forWrite)) === "current";
  };

  // category -> recorded partition count. Recorded once per category (HSETNX on first write),
  // then cached for the life of the store: it can never change.
  const recordedPartitions = new Map<string, number>();
  const resolvePartitions = async (category: string, forWrite: boolean): Promise<number> => {
    const cached = recordedPartitions.get(category);
    if (cached !== undefined) return cached;
    const configured = configuredPartitions(category);
    let recordedText: string | null;
    if (forWrite) {
      const replies = await redis
        .multi()
        .hsetnx(keys.categories(), category, String(configured))
        .hget(keys.categories(), category)
        .exec();
      recordedText = (replies?.[1]?.[1] as string | null | undefined) ?? null;
    } else {
      recordedText = await redis.hget(keys.categories(), category);
    }
    if (recordedText === null) return configured;
    // Checked as read: a hand-written count must not reach partitionOf or a reader's loop.
    const recorded = parsePartitionCount(keys.categories(), category, recordedText);
    if (recorded !== configured)
      throw new PartitionCountMismatchError(category, recorded, configured);
    recordedPartitions.set(category, recorded);
    return recorded;
  };

  const locateWith = (name: StreamName, partitions: number): StreamLocation => {
    const { streamName, category, id } = name;
    const partition = partitionOf(id, partitions);
    return {
      streamName,
      category,
      id,
      partition,
      indexKey: keys.index(category, partition, id),
      logKey: keys.log(category, partition),
      snapshotKey: keys.snapshot(category, partition, id),
    };
  };

  let serverReady = false;
  const locateKnown = (name: StreamName): StreamLocation | undefined => {
    const cached = serverReady ? recordedPartitions.get(name.category) : undefined;
    return cached === undefined ? undefined : locateWith(name, cached);
  };

  return {
    locateKnown,
    async locate(streamName, forWrite = false) {
      const name = typeof streamName === "string" ? parseStreamName(streamName) : streamName;
      // The hot path (a known category on a checked server) costs no extra await.
      const known = locateKnown(name);
      if (known !== undefined) return known;
      // The check comes first: a refused server must not even get the category registered.
      await ensureServerChecked();
      await ensureLayout(forWrite);
      const partitions = await resolvePartitions(name.category, forWrite);
      serverReady = true;
      return locateWith(name, partitions);
    },
    async partitionsOf(category) {
      await ensureServerChecked();
      await ensureLayout(false);
      return resolvePartitions(category, false);
    },
    // HGET only: what a user made from aclRuleFor may run.
    async recordedPartitionsOf(category) {
      if (!recordedPartitions.has(category)) {
        await ensureServerChecked();
        await ensureLayout(false);
        if ((await redis.hget(keys.categories(), category)) === null) return undefined;
      }
      return resolvePartitions(category, false);
    },
  };
}
