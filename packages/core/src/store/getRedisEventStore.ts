import type { Cluster, Redis } from "ioredis";
import type { EventArchive } from "../archive/EventArchive.js";
import {
  ConcurrencyError,
  IdempotencyConflictError,
  InvalidArgumentError,
  isConcurrencyError,
  isStreamstoreError,
  PartitionCountMismatchError,
  RedisOutOfMemoryError,
  ReplicationTimeoutError,
  ScriptFailedError,
} from "../errors/index.js";
import type { EventCatalog, EventOf } from "../events/defineEvents.js";
import type { RecordedEvent } from "../events/types.js";
import {
  assertCategory,
  keyLayout,
  parseStreamName,
  partitionOf,
  type StreamName,
} from "../keys/keyLayout.js";
import type { Logger } from "../logging/Logger.js";
import { DEFAULT_KEY_CACHE_TTL_MS, KeyRing } from "../personalData/KeyRing.js";
import { createRedisKeyStore, type PersonalDataKeyStore } from "../personalData/keyStore.js";
import { assertDataSubject } from "../personalData/personal.js";
import { subjectsOfBatch } from "../personalData/personalFields.js";
import { openSnapshotState, sealSnapshotState } from "../personalData/snapshotSeal.js";
import {
  functionCall,
  isFunctionNotFound,
  loadFunctionLibrary,
  runFunction,
} from "../scripting/runFunction.js";
import {
  attachCoreTelemetry,
  type CoreInstruments,
  createCoreTelemetry,
} from "../telemetry/coreTelemetry.js";
import { failSpan, rememberTelemetryOptions } from "../telemetry/createTelemetry.js";
import {
  SPAN_KIND_CLIENT,
  type TelemetryAttributes,
  type TelemetryOptions,
  type TelemetryTracer,
} from "../telemetry/TelemetryTypes.js";
import type { AppendDurability, AppendResult } from "./appendTypes.js";
import { parsePartitionCount } from "./categoryRegistry.js";
import { checkCategoryRead } from "./checkCategoryRead.js";
import { checkLayout } from "./checkLayout.js";
import { checkServer } from "./checkServer.js";
import { coreFunctionLibrary } from "./coreFunctionLibrary.js";
import type { EventStore, ReadOptions, Snapshot, StreamLocation } from "./EventStore.js";
import { encodeEvents } from "./encodeEvents.js";
import { MAX_BATCH_BYTES, MAX_BATCH_SIZE, MAX_PARTITIONS } from "./limits.js";
import { readAggregate } from "./readAggregate.js";
import { corruptIndex } from "./readAggregatePage.js";
import {
  type CategoryReadContext,
  iterateCategoryEvents,
  readCategoryPage,
} from "./readCategory.js";
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

// The toolkit's scripts run as Redis Functions (FCALL / FCALL_RO), loaded where missing: see
// scripting/runFunction.ts and "Redis Functions" in the README.
const FUNCTIONS = coreFunctionLibrary.functions;

// Cluster replies that mean "not executed here": the durable append resends after a slot refresh,
// as ioredis does for single commands (its `maxRedirections` default is 16).
const NOT_EXECUTED = /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN) /;
const MAX_REDIRECTIONS = 16;
const REDIRECTION_DELAY_MS = 100;

/**
 * Turns Redis's refusals that have a precise meaning for an append into typed errors; anything
 * else is rethrown as it is. The script carries `#!lua` (no allow-oom), so an OOM refusal means
 * Redis ran none of it.
 */
function typedRedisError(error: unknown): never {
  if (error instanceof Error && error.message.startsWith("OOM ")) {
    throw new RedisOutOfMemoryError({ cause: error });
  }
  throw error;
}

function checkPositiveInteger(
  name: string,
  value: unknown,
  max = Number.MAX_SAFE_INTEGER,
  why = "",
): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new InvalidArgumentError(
      name,
      `${String(value)} must be an integer from 1 to ${max}${why}.`,
    );
  }
  return value;
}

function normaliseExpectedVersion(value: unknown): { kind: string; version: number } {
  if (value === "any" || value === "no_stream" || value === "stream_exists")
    return { kind: value, version: 0 };
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) {
    return { kind: "exact", version: value };
  }
  throw new InvalidArgumentError(
    "expectedVersion",
    `${JSON.stringify(value) ?? String(value)} is not "any", "no_stream", "stream_exists" or a version (an integer >= 0).`,
  );
}

function checkDurability(value: unknown): AppendDurability | undefined {
  if (value === undefined) return undefined;
  const { replicas, timeoutMs } = (value ?? {}) as Partial<AppendDurability>;
  return {
    replicas: checkPositiveInteger("durability.replicas", replicas, 1000),
    // WAIT with timeout 0 blocks forever: a bound is required.
    timeoutMs: checkPositiveInteger("durability.timeoutMs", timeoutMs, 3_600_000),
  };
}

function checkVersionBound(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(name, `${String(value)} must be a version: an integer >= 0.`);
  }
  return value;
}

/** The attributes a `streamstore.append` span starts with (built only when a tracer is there). */
function appendAttributes(
  streamName: unknown,
  newEvents: unknown,
  appendOptions: { expectedVersion?: unknown },
  category: string | undefined,
): TelemetryAttributes {
  const expectedVersion = appendOptions.expectedVersion ?? "any";
  const attributes: TelemetryAttributes = {
    "db.system.name": "redis",
    "streamstore.stream": String(streamName),
    "streamstore.event_count": Array.isArray(newEvents) ? newEvents.length : 0,
    "streamstore.expected_version_kind":
      typeof expectedVersion === "number" ? "exact" : String(expectedVersion),
  };
  if (category !== undefined) attributes["streamstore.category"] = category;
  if (typeof expectedVersion === "number")
    attributes["streamstore.expected_version"] = expectedVersion;
  return attributes;
}

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
  if (!redis || typeof (redis as Redis).defineCommand !== "function") {
    throw new InvalidArgumentError(
      "redis",
      "pass an ioredis client (new Redis(url)) or createFakeRedis().",
    );
  }
  const keys = keyLayout(options.prefix ?? DEFAULT_EVENT_STORE_OPTIONS.prefix);
  const telemetry = createCoreTelemetry(options);
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

  let serverChecked: Promise<unknown> | undefined;
  const ensureServerChecked = (): Promise<unknown> => {
    if ((options.serverCheck ?? DEFAULT_EVENT_STORE_OPTIONS.serverCheck) === "off")
      return Promise.resolve();
    serverChecked ??= checkServer(redis, {
      // No logger given: checkServer emits its one warning as a process warning instead.
      ...(options.logger ? { logger: options.logger } : {}),
      allowEviction: options.allowEviction ?? DEFAULT_EVENT_STORE_OPTIONS.allowEviction,
    }).catch((error: unknown) => {
      // A refused configuration stays refused; a dropped connection is worth another try.
      if (!isStreamstoreError(error)) serverChecked = undefined;
      throw error;
    });
    return serverChecked;
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
  // Whether the prefix is known to hold this storage layout (checked until it is, then never).
  let layoutChecked = false;
  const ensureLayout = async (forWrite: boolean): Promise<void> => {
    if (!layoutChecked) layoutChecked = (await checkLayout(redis, keys, forWrite)) === "current";
  };
  const locate = async (
    streamName: string | StreamName,
    forWrite = false,
  ): Promise<StreamLocation> => {
    const name = typeof streamName === "string" ? parseStreamName(streamName) : streamName;
    const cached = recordedPartitions.get(name.category);
    // The hot path (a known category on a checked server) costs no extra await.
    if (cached !== undefined && serverReady) return locateWith(name, cached);
    // The check comes first: a refused server must not even get the category registered.
    await ensureServerChecked();
    await ensureLayout(forWrite);
    const partitions = await resolvePartitions(name.category, forWrite);
    serverReady = true;
    return locateWith(name, partitions);
  };

  type AppendArguments = Parameters<EventStore<Catalog>["append"]>;

  const appendOnce = async (
    streamName: AppendArguments[0],
    newEvents: AppendArguments[1],
    appendOptions: NonNullable<AppendArguments[2]>,
    located?: { partition?: number },
    parsedName?: StreamName,
  ): Promise<AppendResult> => {
    // Validated first, so a bad name is reported before anything about the events (appendObserved
    // hands over the name it already parsed: one parse per append).
    const name = parsedName ?? parseStreamName(streamName);
    const expected = normaliseExpectedVersion(appendOptions.expectedVersion ?? "any");
    const durability = checkDurability(appendOptions.durability);
    // Personal data: subjects checked and keys loaded (made on first use) before encoding, which
    // encrypts client-side: the append script never needs a key (Cluster: keys live on the
    // subject's slot, not the stream's).
    const subjects = catalog.hasPersonalData
      ? subjectsOfBatch(catalog, newEvents, appendOptions.metadata)
      : undefined;
    const personalKeys =
      subjects && subjects.size > 0
        ? (keyRing.cachedForWrite(subjects) ?? (await keyRing.forWrite(subjects)))
        : undefined;
    const encoded = encodeEvents(catalog, newEvents, appendOptions.metadata, limits, personalKeys);
    // A known category on a checked server (the hot path): no call to the async locate.
    const cached = serverReady ? recordedPartitions.get(name.category) : undefined;
    const location = cached !== undefined ? locateWith(name, cached) : await locate(name, true);
    if (located) located.partition = location.partition;
    // Events without metadata at schema version 1 (the common batch) go as 3 values each.
    const plain = encoded.every((event) => event.metadata === "" && event.schemaVersion === 1);
    const scriptKeys = [location.indexKey, location.logKey];
    const args: (string | number)[] = [
      expected.kind,
      expected.version,
      location.id,
      encoded.length,
      plain ? 3 : 5,
    ];
    for (const event of encoded) {
      if (plain) args.push(event.id, event.type, event.data);
      else args.push(event.id, event.type, event.data, event.metadata, event.schemaVersion);
    }
    let reply: unknown[];
    let acknowledged: number | undefined;
    if (durability === undefined) {
      try {
        reply = (await runFunction(
          redis,
          coreFunctionLibrary,
          FUNCTIONS.append,
          scriptKeys,
          args,
        )) as unknown[];
      } catch (error) {
        typedRedisError(error);
      }
    } else {
      // WAIT counts the writes of the connection it is sent on. One pipeline keeps the script
      // and WAIT on one connection; on a Cluster, ioredis sends a pipeline to the node of its
      // keyed command, so WAIT reaches the very primary that ran the append (issue 6).
      let replies: [Error | null, unknown][] | null;
      const [command, functionArgs] = functionCall(FUNCTIONS.append, scriptKeys, args);
      let loaded = false;
      for (let redirections = 0; ; redirections++) {
        replies = await redis
          .pipeline()
          .call(command, functionArgs)
          .call("WAIT", durability.replicas, durability.timeoutMs)
          .exec();
        const error = replies?.[0]?.[0];
        // The library is not on this server yet: load it and send the pipeline again (Redis
        // ran nothing of the append, and a WAIT alone changes nothing).
        if (isFunctionNotFound(error) && !loaded) {
          await loadFunctionLibrary(redis, coreFunctionLibrary);
          loaded = true;
          continue;
        }
        // ioredis re-routes a Cluster pipeline only when every command in it was redirected,
        // never this one (the keyless WAIT runs): after a failover or resharding, follow
        // MOVED/ASK/TRYAGAIN/CLUSTERDOWN ourselves. Redis executed nothing then: safe to resend.
        if (!error || !NOT_EXECUTED.test(error.message) || redirections >= MAX_REDIRECTIONS) break;
        (redis as { refreshSlotsCache?: () => void }).refreshSlotsCache?.();
        await new Promise((resolve) => setTimeout(resolve, REDIRECTION_DELAY_MS));
      }
      const [scriptError, scriptReply] = replies?.[0] ?? [new Error("no reply"), null];
      if (scriptError) typedRedisError(scriptError);
      reply = scriptReply as unknown[];
      const [waitError, waitReply] = replies?.[1] ?? [new Error("no reply"), null];
      if (waitError) throw waitError;
      acknowledged = Number(waitReply);
    }
    const status = reply?.[0];
    if (status === "ok" || status === "dup") {
      const result: AppendResult = {
        streamName,
        nextExpectedVersion: Number(reply[1]),
        firstVersion: Number(reply[2]),
        positions: reply.slice(3).map(String),
        partition: location.partition,
        duplicate: status === "dup",
      };
      if (durability !== undefined && acknowledged !== undefined) {
        result.replicasAcknowledged = acknowledged;
        if (acknowledged < durability.replicas)
          throw new ReplicationTimeoutError(streamName, acknowledged, durability.replicas, result);
      }
      return result;
    }
    if (status === "conflict") {
      throw new ConcurrencyError(
        streamName,
        appendOptions.expectedVersion ?? "any",
        Number(reply[1]),
        Number(reply[2]) === 1,
      );
    }
    if (status === "idempotency") {
      throw new IdempotencyConflictError(streamName, String(reply[1]), String(reply[2]));
    }
    if (status === "corrupt") throw corruptIndex(streamName, location.indexKey, reply[1]);
    if (status === "position") {
      throw new ScriptFailedError(
        `the category log ${location.logKey} gave position ${String(reply[1])}, beyond what an aggregate index records (milliseconds and sequence below 2^48): its ids were set by hand (XADD with an explicit id, XSETID); the script deleted the entries it had added`,
      );
    }
    throw new ScriptFailedError(`the append script answered ${JSON.stringify(reply)}`);
  };

  // The append with its span and metrics. Attributes follow the OpenTelemetry conventions' style
  // (namespaced, snake_case); metrics never carry the stream name, only low-cardinality ones.
  const appendObserved = async (
    tracer: TelemetryTracer | undefined,
    instruments: CoreInstruments | undefined,
    streamName: AppendArguments[0],
    newEvents: AppendArguments[1],
    appendOptions: NonNullable<AppendArguments[2]>,
  ): Promise<AppendResult> => {
    // Only the histogram reads the clock: a tracer alone does not need it.
    const started = instruments ? performance.now() : 0;
    let name: StreamName | undefined;
    try {
      name = parseStreamName(streamName);
    } catch {
      // appendOnce reports the bad name; the span just goes without a category.
    }
    const category = name?.category;
    const span = tracer?.startSpan("streamstore.append", {
      kind: SPAN_KIND_CLIENT,
      attributes: appendAttributes(streamName, newEvents, appendOptions, category),
    });
    const located: { partition?: number } = {};
    let outcome = "error";
    try {
      const result = await appendOnce(streamName, newEvents, appendOptions, located, name);
      outcome = result.duplicate ? "duplicate" : "ok";
      if (span?.isRecording()) {
        span.setAttributes({
          "streamstore.conflict": false,
          "streamstore.duplicate": result.duplicate,
          "streamstore.next_version": result.nextExpectedVersion,
        });
      }
      if (instruments && !result.duplicate && category !== undefined) {
        instruments.appendEvents.add(result.positions.length, { "streamstore.category": category });
      }
      return result;
    } catch (error) {
      const conflict = isConcurrencyError(error);
      if (conflict) outcome = "conflict";
      if (span?.isRecording()) {
        span.setAttributes({ "streamstore.conflict": conflict, "streamstore.duplicate": false });
        if (conflict) span.setAttribute("streamstore.actual_version", error.actualVersion);
        failSpan(span, error);
      }
      if (conflict && instruments && category !== undefined) {
        instruments.appendConflicts.add(1, { "streamstore.category": category });
      }
      throw error;
    } finally {
      if (located.partition !== undefined)
        span?.setAttribute("streamstore.partition", located.partition);
      span?.end();
      instruments?.appendDuration.record(performance.now() - started, {
        "streamstore.category": category ?? "",
        "streamstore.outcome": outcome,
      });
    }
  };

  // The version and existence of a stream, from its index (one read-only script call).
  const versionOf = async (streamName: string): Promise<{ version: number; exists: boolean }> => {
    const location = await locate(streamName);
    const reply = (await runFunction(
      redis,
      coreFunctionLibrary,
      FUNCTIONS.version,
      [location.indexKey],
      [],
    )) as unknown[];
    if (reply[0] === "corrupt") throw corruptIndex(streamName, location.indexKey, reply[1]);
    return { version: Number(reply[0]), exists: Number(reply[1]) === 1 };
  };

  // What readCategory/iterateCategory need: a category read is refused for a category never
  // written (the categories hash records each one at its first write). HGET and HGETALL only:
  // what a user made from aclRuleFor may run.
  const categoryReads: CategoryReadContext = {
    redis,
    catalog,
    archive: options.archive,
    keys,
    keyRing: catalog.hasPersonalData ? keyRing : undefined,
    async partitionsOf(category) {
      if (!recordedPartitions.has(category)) {
        await ensureServerChecked();
        await ensureLayout(false);
        if ((await redis.hget(keys.categories(), category)) === null) return undefined;
      }
      return resolvePartitions(category, false);
    },
    knownCategories: async () => Object.keys(await redis.hgetall(keys.categories())).sort(),
  };

  const store: EventStore<Catalog> = {
    catalog,
    keys,
    ...(options.archive === undefined ? {} : { archive: options.archive }),

    async append(streamName, newEvents, appendOptions = {}): Promise<AppendResult> {
      // The one check telemetry costs when it is off (issue 7): no provider, no extra work.
      const tracer = telemetry.tracer();
      const instruments = telemetry.instruments();
      if (!tracer && !instruments) return appendOnce(streamName, newEvents, appendOptions);
      return appendObserved(tracer, instruments, streamName, newEvents, appendOptions);
    },

    read(streamName, readOptions: ReadOptions = {}) {
      parseStreamName(streamName);
      const from = checkVersionBound("from", readOptions.from);
      const to = checkVersionBound("to", readOptions.to);
      const limit = readOptions.limit === undefined ? Number.POSITIVE_INFINITY : readOptions.limit;
      if (limit !== Number.POSITIVE_INFINITY && (!Number.isSafeInteger(limit) || limit < 0)) {
        throw new InvalidArgumentError("limit", `${String(limit)} must be an integer >= 0.`);
      }
      const pageSize =
        readOptions.pageSize === undefined
          ? readPageSize
          : checkPositiveInteger("pageSize", readOptions.pageSize, 100_000);
      const direction = readOptions.direction ?? "forward";
      if (direction !== "forward" && direction !== "backward") {
        throw new InvalidArgumentError(
          "direction",
          `${String(direction)} is not "forward" or "backward".`,
        );
      }
      return {
        async *[Symbol.asyncIterator](): AsyncIterator<RecordedEvent<EventOf<Catalog>>> {
          // Version 0 holds no event (and a backward page starting at 0 means "the newest").
          if (to === 0) return;
          const location = await locate(streamName);
          yield* readAggregate<EventOf<Catalog>>(
            redis,
            catalog,
            options.archive,
            location,
            { direction, lowest: Math.max(from ?? 1, 1), to, limit, pageSize },
            catalog.hasPersonalData ? keyRing : undefined,
          );
        },
      };
    },

    readCategory(category, readOptions) {
      try {
        const plan = checkCategoryRead(category, readOptions, "page", readPageSize);
        return readCategoryPage<EventOf<Catalog>>(categoryReads, plan);
      } catch (error) {
        return Promise.reject(error);
      }
    },

    iterateCategory(category, readOptions) {
      const plan = checkCategoryRead(category, readOptions, "all", readPageSize);
      return {
        [Symbol.asyncIterator]: () => iterateCategoryEvents<EventOf<Catalog>>(categoryReads, plan),
      };
    },

    async version(streamName) {
      return (await versionOf(streamName)).version;
    },

    async exists(streamName) {
      return (await versionOf(streamName)).exists;
    },

    async readSnapshot(streamName) {
      const location = await locate(streamName);
      const stored = await redis.hget(location.snapshotKey, "doc");
      if (stored === null) return undefined;
      try {
        const parsed = JSON.parse(stored) as Snapshot;
        if (
          typeof parsed !== "object" ||
          parsed === null ||
          !Number.isSafeInteger(parsed.version) ||
          !Number.isSafeInteger(parsed.schemaVersion) ||
          typeof parsed.eventId !== "string"
        ) {
          return undefined;
        }
        if (parsed.dataSubjects === undefined) return parsed;
        // Personal state: opened with every subject's key; once one is forgotten, the snapshot is
        // deleted (discarded) and the stream replayed, its events then redacted.
        const state = await openSnapshotState(keyRing, streamName, parsed);
        if (state === undefined) {
          await redis.del(location.snapshotKey);
          return undefined;
        }
        return { ...parsed, state };
      } catch {
        // A snapshot is a cache: an unreadable one is ignored, and the stream is replayed.
        return undefined;
      }
    },

    async writeSnapshot(streamName, snapshot) {
      const location = await locate(streamName, true);
      const subjects = snapshot.dataSubjects ?? [];
      const document = JSON.stringify(
        subjects.length > 0
          ? {
              ...snapshot,
              state: sealSnapshotState(await keyRing.forWrite(subjects), streamName, snapshot),
            }
          : snapshot,
      );
      return (
        (await runFunction(
          redis,
          coreFunctionLibrary,
          FUNCTIONS.snapshot,
          [location.snapshotKey],
          [snapshot.version, document],
        )) === 1
      );
    },

    async partitionsOf(category) {
      assertCategory(category);
      await ensureServerChecked();
      await ensureLayout(false);
      return resolvePartitions(category, false);
    },

    locate: (streamName) => locate(streamName),

    personalData: keyRing,

    async forgetSubject(subject, forgetOptions = {}) {
      await keyRing.forget(assertDataSubject(subject), forgetOptions);
    },
  };
  // A lost or refused connection surfaces as RedisUnavailableError / RedisAuthError, from every
  // operation (one wrapper, not a try/catch at each Redis call).
  withTypedConnectionErrors(store, redis);
  attachCoreTelemetry(store, telemetry);
  rememberTelemetryOptions(store, options);
  return store;
}
