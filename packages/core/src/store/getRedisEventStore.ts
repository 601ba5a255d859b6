import type { Cluster, Redis } from "ioredis";
import type { EventArchive } from "../archive/EventArchive.js";
import { assertRedisClient } from "../connection/assertRedisClient.js";
import { InvalidArgumentError } from "../errors/index.js";
import type { EventCatalog } from "../events/defineEvents.js";
import { assertCategory, keyLayout } from "../keys/keyLayout.js";
import type { Logger } from "../logging/Logger.js";
import { DEFAULT_KEY_CACHE_TTL_MS, KeyRing } from "../personalData/KeyRing.js";
import { createRedisKeyStore, type PersonalDataKeyStore } from "../personalData/keyStore.js";
import { assertDataSubject } from "../personalData/personal.js";
import { createCoreTelemetry } from "../telemetry/coreTelemetry.js";
import { rememberTelemetryOptions } from "../telemetry/createTelemetry.js";
import { instrumentEventStore } from "../telemetry/instrumentEventStore.js";
import type { TelemetryOptions } from "../telemetry/TelemetryTypes.js";
import { appendToStream } from "./appendToStream.js";
import { createCategoryReads } from "./categoryReads.js";
import { checkPositiveInteger } from "./checkArguments.js";
import type { EventStore } from "./EventStore.js";
import { MAX_BATCH_BYTES, MAX_BATCH_SIZE, MAX_PARTITIONS } from "./limits.js";
import { readStream } from "./readStream.js";
import { readSnapshot, writeSnapshot } from "./snapshots.js";
import type { StoreContext } from "./storeContext.js";
import { createStreamLocator } from "./streamLocator.js";
import { streamVersion } from "./streamVersion.js";
import { withTypedConnectionErrors } from "./typedConnectionErrors.js";

/** Options of {@link getRedisEventStore}. */
export interface RedisEventStoreOptions<Catalog extends EventCatalog> extends TelemetryOptions {
  /** An ioredis client (`Redis` or `Cluster`), or the in-memory fake of @streamstore/testing. */
  redis: Redis | Cluster;
  /** The event catalog from `defineEvents`. */
  events: Catalog;
  /** Key prefix of every key of this store (a tenant, an app). Default `"ss"`. */
  prefix?: string;
  /**
   * Partitions of each category log: a number for every category, or per category with a
   * `default`. Fixed at a category's first write. Default 1 (one log per category).
   */
  partitions?: number | { default?: number; [category: string]: number | undefined };
  /** Largest event (data + metadata JSON), in bytes. Default 1 MiB, at most 256 MiB. */
  maxEventBytes?: number;
  /**
   * Most events in one append. Default 1,000, at most `MAX_BATCH_SIZE` (10,000): an append is one
   * script call, all or nothing. A batch's data and metadata also stay within `MAX_BATCH_BYTES`.
   */
  maxBatchSize?: number;
  /** Events fetched per round trip when reading. Default 1,000. */
  readPageSize?: number;
  /**
   * `"check"` (default): on first use, check the server once (Redis >= 7, a non-evicting
   * `maxmemory-policy`, persistence: warn when none, except on a server that declares itself an
   * in-memory test double, as the fake of @streamstore/testing does). `"off"` skips it.
   */
  serverCheck?: "check" | "off";
  /** Accept a `maxmemory-policy` that may evict keys. Default false: such a server is refused. */
  allowEviction?: boolean;
  /**
   * Where the store logs, with structured fields; pino-compatible (a pino logger fits as it is).
   * Default: silent, except that the warning about a server that keeps nothing on disk is then
   * emitted once with `process.emitWarning` (code `STREAMSTORE_NO_PERSISTENCE`), where Node
   * prints it unless run with `--no-warnings`. See docs/observability.md.
   */
  logger?: Logger;
  /**
   * Where events the archiver moved out of Redis are read from (`createPostgresArchive` of
   * @streamstore/archive, or `createInMemoryArchive` of @streamstore/testing): `read()`,
   * `aggregateStream` and `handleCommand` then read archived versions from it and hot ones from
   * Redis, with no gap and no duplicate at the seam. Without it, reading an archived version
   * throws `ArchiveRequiredError`; appends, versions and expected-version checks never need it.
   */
  archive?: EventArchive;
  /**
   * Personal data (fields marked `personal()` in the catalog; docs/personal-data.md): where the
   * subjects' keys live and how long a process keeps using a key it read.
   */
  personalData?: PersonalDataOptions;
}

/** Options of personal data, see {@link RedisEventStoreOptions.personalData}. */
export interface PersonalDataOptions {
  /**
   * Where data keys live. Default: `createRedisKeyStore({ redis, prefix })`, keys in Redis
   * under the prefix, stored as they are; give `createRedisKeyStore` a `wrapKey`/`unwrapKey` (a
   * KMS) so that Redis never holds a usable key.
   */
  keyStore?: PersonalDataKeyStore;
  /**
   * How long (ms) a key read from the key store is used before it is read again: the bound on
   * how long another process keeps decrypting a subject after `forgetSubject`. Default 10,000.
   */
  keyCacheTtlMs?: number;
}

/** The defaults of {@link RedisEventStoreOptions}. */
export const DEFAULT_EVENT_STORE_OPTIONS = {
  prefix: "ss",
  partitions: 1,
  maxEventBytes: 1024 * 1024,
  maxBatchSize: 1000,
  readPageSize: 1000,
  serverCheck: "check",
  allowEviction: false,
} as const;

/**
 * Creates an event store on Redis Streams: per-aggregate streams with optimistic versions, a
 * partitioned log per category for projections, atomic and idempotent appends in one round trip.
 *
 * @example
 * const events = defineEvents({ Deposited: z.object({ amount: z.number() }) });
 * const store = getRedisEventStore({ redis: new Redis(), events });
 * const { nextExpectedVersion } = await store.append(
 *   "account-1", [{ type: "Deposited", data: { amount: 10 } }], { expectedVersion: "no_stream" });
 */
export function getRedisEventStore<Catalog extends EventCatalog>(
  options: RedisEventStoreOptions<Catalog>,
): EventStore<Catalog> {
  const { redis, events: catalog } = options;
  assertRedisClient(redis);
  const keys = keyLayout(options.prefix ?? DEFAULT_EVENT_STORE_OPTIONS.prefix);
  const limits = {
    maxEventBytes: checkPositiveInteger(
      "maxEventBytes",
      options.maxEventBytes ?? DEFAULT_EVENT_STORE_OPTIONS.maxEventBytes,
      MAX_BATCH_BYTES,
      ' (MAX_BATCH_BYTES, what one append can carry); see "Limits" in the @streamstore/core README',
    ),
    maxBatchSize: checkPositiveInteger(
      "maxBatchSize",
      options.maxBatchSize ?? DEFAULT_EVENT_STORE_OPTIONS.maxBatchSize,
      MAX_BATCH_SIZE,
      ' (MAX_BATCH_SIZE: an append is one all-or-nothing script call; append bigger batches in parts of at most that many); see "Limits" in the @streamstore/core README',
    ),
    maxBatchBytes: MAX_BATCH_BYTES,
  };
  const readPageSize = checkPositiveInteger(
    "readPageSize",
    options.readPageSize ?? DEFAULT_EVENT_STORE_OPTIONS.readPageSize,
    100_000,
  );
  const archive = options.archive as Partial<EventArchive> | undefined;
  if (
    archive !== undefined &&
    (typeof archive !== "object" ||
      archive === null ||
      typeof archive.readStream !== "function" ||
      typeof archive.readPartition !== "function")
  ) {
    throw new InvalidArgumentError(
      "archive",
      "pass an EventArchive (createPostgresArchive of @streamstore/archive, createInMemoryArchive of @streamstore/testing), or leave it out.",
    );
  }
  const partitionsOption = options.partitions ?? DEFAULT_EVENT_STORE_OPTIONS.partitions;
  const configuredPartitions = (category: string): number => {
    const value =
      typeof partitionsOption === "number"
        ? partitionsOption
        : (partitionsOption[category] ?? partitionsOption.default ?? 1);
    return checkPositiveInteger(`partitions of "${category}"`, value, MAX_PARTITIONS);
  };
  const keyRing = new KeyRing(
    options.personalData?.keyStore ?? createRedisKeyStore({ redis, prefix: keys.prefix }),
    checkPositiveInteger(
      "personalData.keyCacheTtlMs",
      options.personalData?.keyCacheTtlMs ?? DEFAULT_KEY_CACHE_TTL_MS,
    ),
  );
  const locator = createStreamLocator({
    redis,
    keys,
    configuredPartitions,
    serverCheck: options.serverCheck ?? DEFAULT_EVENT_STORE_OPTIONS.serverCheck,
    allowEviction: options.allowEviction ?? DEFAULT_EVENT_STORE_OPTIONS.allowEviction,
    logger: options.logger,
  });
  const context: StoreContext<Catalog> = {
    redis,
    catalog,
    keys,
    archive: options.archive,
    keyRing,
    readKeyRing: catalog.hasPersonalData ? keyRing : undefined,
    limits,
    readPageSize,
    locator,
  };

  // Each operation lives in its own module, a function of the context; the store only binds them.
  const store: EventStore<Catalog> = {
    catalog,
    keys,
    ...(options.archive === undefined ? {} : { archive: options.archive }),
    append: (streamName, newEvents, appendOptions = {}) =>
      appendToStream(context, streamName, newEvents, appendOptions),
    read: (streamName, readOptions) => readStream(context, streamName, readOptions),
    ...createCategoryReads(context),
    version: async (streamName) => (await streamVersion(context, streamName)).version,
    exists: async (streamName) => (await streamVersion(context, streamName)).exists,
    readSnapshot: (streamName) => readSnapshot(context, streamName),
    writeSnapshot: (streamName, snapshot) => writeSnapshot(context, streamName, snapshot),
    async partitionsOf(category) {
      assertCategory(category);
      return locator.partitionsOf(category);
    },
    locate: (streamName) => locator.locate(streamName),
    personalData: keyRing,
    async forgetSubject(subject, forgetOptions = {}) {
      await keyRing.forget(assertDataSubject(subject), forgetOptions);
    },
  };
  // Spans and metrics around the operations (docs/observability.md): a decorator, so that the
  // operations know nothing of telemetry. Inside the typed connection errors, as it always was:
  // a span records the driver's own error.
  instrumentEventStore(store, createCoreTelemetry(options), {
    knownPartition: (name) => locator.locateKnown(name)?.partition,
  });
  // A lost or refused connection surfaces as RedisUnavailableError / RedisAuthError, from every
  // operation (one wrapper, not a try/catch at each Redis call).
  withTypedConnectionErrors(store, redis);
  rememberTelemetryOptions(store, options);
  return store;
}
