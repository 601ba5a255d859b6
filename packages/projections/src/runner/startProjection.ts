import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import {
  type AppendResult,
  type EventCatalog,
  type EventStore,
  getRedisEventStore,
  InvalidArgumentError,
  MAX_BATCH_SIZE,
  silentLogger,
} from "@streamstore/core";
import {
  compareStreamIds,
  describeRedisFailure,
  lastPartitionPosition,
  parseStreamName,
  readPartitionCount,
  sleep,
} from "@streamstore/core/internal";
import type { Cluster, Redis } from "ioredis";
import { createDeadLetters, type DeadLetters } from "../deadLetters/createDeadLetters.js";
import { CatchUpTimeoutError } from "../errors.js";
import {
  buildId,
  buildOrder,
  compareBuilds,
  isBuildId,
  partitionField,
  projectionKeys,
} from "../keys/projectionKeys.js";
import type { Projection } from "../projection/defineProjection.js";
import { createProjectionReader, type ProjectionReader } from "../reader/createProjectionReader.js";
import { createRedisReadModelStore } from "../readModel/createRedisReadModelStore.js";
import { runProjectionsFunction } from "../readModel/projectionsFunctionLibrary.js";
import { getProjectionStatus, type ProjectionStatus } from "../status/getProjectionStatus.js";
import {
  createProjectionsTelemetry,
  telemetryOptionsFor,
} from "../telemetry/projectionsTelemetry.js";
import { type PartitionState, PartitionWorker } from "./PartitionWorker.js";
import {
  DEFAULT_PROJECTION_RUNNER_OPTIONS,
  type ProjectionRunnerOptions,
  type ResolvedRunnerOptions,
} from "./ProjectionRunnerOptions.js";
import { serversOf } from "./redisCommands.js";

/**
 * The runner's state; changed only in `setState` inside {@link startProjection}, logged `from -> to`.
 *
 * @example
 * if (runner.state === "failed") await runner.done.catch(console.error);
 */
export type RunnerState =
  | "starting"
  | "running"
  /** Redis is unreachable (or refuses the credentials): retrying every `heartbeatMs`; see `lastError`. */
  | "reconnecting"
  | "stopping"
  | "stopped"
  | "failed";

/**
 * A position `waitUntilCaughtUp` waits for: an append's result, or a partition position.
 *
 * @example
 * await runner.waitUntilCaughtUp(await store.append("account-1", events));
 */
export type CaughtUpTarget =
  | Pick<AppendResult, "streamName" | "partition" | "positions">
  | { category: string; partition: number; position: string };

/**
 * A running projection worker.
 *
 * @example
 * const runner: ProjectionRunner<{ balance: number }> = startProjection(balances, { redis, store });
 * await runner.waitUntilCaughtUp();
 */
export interface ProjectionRunner<StateType> extends ProjectionReader<StateType> {
  /** This worker's id (membership, consumer name, lease holder). */
  readonly workerId: string;
  /** The build this runner writes (`v<version>`). */
  readonly build: string;
  /** The runner's state now. */
  readonly state: RunnerState;
  /**
   * What the runner (or, else, one of its partitions) last failed on while it retries: where Redis
   * is and the driver's words for a lost connection; undefined while healthy.
   */
  readonly lastError: string | undefined;
  /** The partitions this worker owns now, with their states (and what they retry on, if any). */
  ownedPartitions(): { partition: string; state: PartitionState; lastError?: string }[];
  /**
   * Resolves once the build readers use has applied everything up to `target` (default: every
   * source partition's last entry at the time of the call), with any worker doing the work.
   * Rejects with `CatchUpTimeoutError` after `timeoutMs` (default 30,000).
   */
  waitUntilCaughtUp(
    target?: CaughtUpTarget,
    options?: { timeoutMs?: number; build?: string },
  ): Promise<void>;
  /** The status of this runner's build (see {@link getProjectionStatus}). */
  status(): Promise<ProjectionStatus>;
  /** The dead letters of this runner's build. */
  readonly deadLetters: DeadLetters;
  /** Stops: in-flight batches are committed (or abandoned before their commit), leases released. */
  stop(): Promise<void>;
  /** Resolves when the runner stopped; rejects when it failed (failure policy `"stop"`). */
  readonly done: Promise<void>;
}

interface LeaseScripts {
  acquire(lease: string, fence: string, worker: string, ttl: number): Promise<number>;
  renew(lease: string, holder: string, ttlOrRelease: number | string): Promise<number>;
  heartbeat(members: string, worker: string, ttlOrLeave: number | string): Promise<string[]>;
}

function leaseScripts(redis: Redis | Cluster): LeaseScripts {
  return {
    acquire: async (lease, fence, worker, ttl) =>
      Number(await runProjectionsFunction(redis, "acquire_lease", [lease, fence], [worker, ttl])),
    renew: async (lease, holder, ttlOrRelease) =>
      Number(await runProjectionsFunction(redis, "renew_lease", [lease], [holder, ttlOrRelease])),
    heartbeat: async (members, worker, ttlOrLeave) =>
      (await runProjectionsFunction(
        redis,
        "heartbeat",
        [members],
        [worker, ttlOrLeave],
      )) as string[],
  };
}

function resolveOptions(options: ProjectionRunnerOptions<EventCatalog>): ResolvedRunnerOptions {
  const resolved = { ...DEFAULT_PROJECTION_RUNNER_OPTIONS } as Record<string, unknown>;
  for (const [name, value] of Object.entries(options)) {
    if (value !== undefined && name in resolved) resolved[name] = value;
  }
  for (const name of Object.keys(DEFAULT_PROJECTION_RUNNER_OPTIONS)) {
    const value = resolved[name];
    if (typeof value === "number" && (!Number.isFinite(value) || value < 0)) {
      throw new InvalidArgumentError(name, `${value} must be a number >= 0.`);
    }
  }
  const result = resolved as ResolvedRunnerOptions;
  if (result.leaseTtlMs <= result.blockMs + result.leaseMarginMs + result.heartbeatMs) {
    throw new InvalidArgumentError(
      "leaseTtlMs",
      `${result.leaseTtlMs} must exceed blockMs + leaseMarginMs + heartbeatMs (${result.blockMs + result.leaseMarginMs + result.heartbeatMs}), or no blocking read could ever be sent.`,
    );
  }
  if (result.maxDeliveries < 1) throw new InvalidArgumentError("maxDeliveries", "must be >= 1.");
  const { archive } = options;
  if (archive !== undefined && typeof archive?.readPartition !== "function") {
    throw new InvalidArgumentError(
      "archive",
      "pass an EventArchive (createPostgresArchive of @streamstore/archive), or leave it out.",
    );
  }
  // A batch is one read and one commit script: bounded like an append (issue 14).
  if (
    !Number.isSafeInteger(result.batchSize) ||
    result.batchSize < 1 ||
    result.batchSize > MAX_BATCH_SIZE
  ) {
    throw new InvalidArgumentError(
      "batchSize",
      `${String(result.batchSize)} must be an integer from 1 to ${MAX_BATCH_SIZE} (MAX_BATCH_SIZE).`,
    );
  }
  return result;
}

/** Starts one build's engine; `startProjection` runs one or two of these. */
function startBuild<Catalog extends EventCatalog, StateType>(
  projection: Projection<Catalog, StateType>,
  runnerOptions: ProjectionRunnerOptions<Catalog>,
  build: string,
  onRebuildRequested: (generation: number) => void,
): ProjectionRunner<StateType> {
  const { redis } = runnerOptions;
  if (!redis || typeof (redis as Redis).defineCommand !== "function") {
    throw new InvalidArgumentError(
      "redis",
      "pass an ioredis client (new Redis(url)) or createFakeRedis().",
    );
  }
  const options = resolveOptions(runnerOptions as ProjectionRunnerOptions<EventCatalog>);
  const logger = runnerOptions.logger ?? silentLogger;
  const eventStore: EventStore<Catalog> =
    runnerOptions.store ??
    getRedisEventStore({
      redis,
      events: projection.catalog,
      prefix: options.prefix,
      serverCheck: "off",
      logger,
    });
  // The runner's own providers, else the store's, else the global ones.
  const telemetry = createProjectionsTelemetry(
    telemetryOptionsFor(runnerOptions, runnerOptions.store),
  );
  const prefix = eventStore.keys.prefix;
  const keys = projectionKeys(prefix, projection.name);
  const readModel =
    runnerOptions.readModel ?? createRedisReadModelStore({ redis, prefix, name: projection.name });
  const workerId =
    runnerOptions.workerId ??
    `${hostname()}-${process.pid}-${randomBytes(4).toString("hex")}`.replace(
      /[^A-Za-z0-9_.:-]/g,
      "_",
    );
  const scripts = leaseScripts(redis);
  const reader = createProjectionReader(projection, {
    readModel,
    activeBuildCacheMs: options.activeBuildCacheMs,
  });
  const deadLetters = createDeadLetters(projection, {
    readModel,
    build,
    ...(eventStore.personalData ? { personalData: eventStore.personalData } : {}),
  });

  let state: RunnerState = "starting";
  let controlError: string | undefined;
  const setState = (next: RunnerState): void => {
    const previous = state;
    if (previous === next) return;
    state = next;
    logger.info(
      { projection: projection.name, build, worker: workerId, from: previous, to: next },
      `[streamstore] projection "${projection.name}" runner ${workerId}: ${previous} -> ${next}`,
    );
  };

  const stopController = new AbortController();
  let failure: unknown;
  const workers = new Map<string, PartitionWorker>();
  let partitions: { category: string; partition: number; field: string }[] = [];
  let resolvedOnce: () => void = () => {};
  const partitionsResolved = new Promise<void>((resolve) => {
    resolvedOnce = resolve;
  });

  const resolvePartitions = async (): Promise<void> => {
    const next: typeof partitions = [];
    for (const category of projection.source) {
      // Without a store, the recorded count is the truth (a store configured here could disagree).
      const count = runnerOptions.store
        ? await eventStore.partitionsOf(category)
        : ((await readPartitionCount(redis, eventStore.keys, category)) ?? 1);
      for (let partition = 0; partition < count; partition++) {
        next.push({ category, partition, field: partitionField(category, partition) });
      }
    }
    partitions = next;
    resolvedOnce();
  };

  const workerContext = {
    projection: projection as unknown as Projection<EventCatalog, unknown>,
    build,
    redis,
    storeKeys: eventStore.keys,
    archive: runnerOptions.archive ?? eventStore.archive,
    personalData: eventStore.personalData,
    readModel,
    keys,
    workerId,
    options,
    logger,
    onCommit: runnerOptions.onCommit,
    telemetry,
    onFailed: (error: unknown) => {
      failure ??= error;
      stopController.abort();
    },
  };

  const release = async (worker: PartitionWorker): Promise<void> => {
    await worker.done;
    try {
      await scripts.renew(
        keys.lease(build, worker.field),
        `${workerId}|${worker.token}`,
        "release",
      );
    } catch {
      // The lease expires by itself.
    }
    if (workers.get(worker.field) === worker) workers.delete(worker.field);
  };

  const rebalance = async (members: readonly string[]): Promise<void> => {
    const index = members.indexOf(workerId);
    const assigned = new Set(
      index < 0
        ? []
        : partitions
            .filter((_, position) => position % members.length === index)
            .map((p) => p.field),
    );
    const renewals: Promise<void>[] = [];
    for (const [field, worker] of workers) {
      if (!assigned.has(field)) {
        worker.requestStop();
        void release(worker);
        continue;
      }
      renewals.push(
        (async () => {
          const sentAt = performance.now();
          const renewed = await scripts.renew(
            keys.lease(build, field),
            `${workerId}|${worker.token}`,
            options.leaseTtlMs,
          );
          if (renewed === 1) {
            worker.leaseValidUntil = sentAt + options.leaseTtlMs;
            worker.publishState();
          } else {
            logger.warn(
              { projection: projection.name, build, partition: field, worker: workerId },
              `[streamstore] projection "${projection.name}" lost the lease of ${field}; another worker owns it now.`,
            );
            worker.loseLease();
            workers.delete(field);
          }
        })(),
      );
    }
    await Promise.all(renewals);
    for (const { category, partition, field } of partitions) {
      if (!assigned.has(field) || workers.has(field) || stopController.signal.aborted) continue;
      const sentAt = performance.now();
      const token = Number(
        await scripts.acquire(
          keys.lease(build, field),
          keys.fence(build, field),
          workerId,
          options.leaseTtlMs,
        ),
      );
      if (token > 0) {
        const worker = new PartitionWorker(
          workerContext,
          category,
          partition,
          token,
          sentAt + options.leaseTtlMs,
        );
        workers.set(field, worker);
        void worker.done.then(() => {
          if (workers.get(field) === worker && !stopController.signal.aborted) {
            // Stopped by itself (fenced): give up the lease too, so that taking the partition
            // again draws a new fence token instead of reusing the stale one.
            workers.delete(field);
            void release(worker);
          }
        });
      }
    }
  };

  // Builds: the first build becomes active at once; a newer one switches readers once caught up
  // on every partition; an older runner stops when a newer build is active.
  const coordinateBuilds = async (members: readonly string[]): Promise<boolean> => {
    const requested = Number((await redis.get(keys.generation(projection.version))) ?? 0);
    if (requested > buildOrder(build)[1] && buildOrder(build)[0] === projection.version) {
      onRebuildRequested(requested);
    }
    let active = await readModel.readActiveBuild();
    if (active === null) {
      await readModel.switchActiveBuild(null, build);
      active = await readModel.readActiveBuild();
    }
    if (active !== null && active !== build && compareBuilds(active, build) > 0) {
      const fields = { projection: projection.name, build, active, worker: workerId };
      if (buildOrder(active)[0] === buildOrder(build)[0]) {
        // A rebuild of this very version replaced it: this process builds that one too (see
        // onRebuildRequested), so there is nothing to deploy and nothing to warn about.
        logger.info(
          fields,
          `[streamstore] projection "${projection.name}" build ${build} was replaced by its rebuild ${active}; its engine stops.`,
        );
      } else {
        logger.warn(
          fields,
          `[streamstore] projection "${projection.name}" build ${build} was replaced by ${active}: this runner stops. Deploy the new version to every worker.`,
        );
      }
      return false;
    }
    if (active !== null && active !== build && members[0] === workerId) {
      const checkpoints = await readModel.readCheckpoints(build);
      let caughtUp = partitions.length > 0;
      for (const { category, partition, field } of partitions) {
        // The seam too: a log the archiver trimmed whole is empty in Redis, not caught up with.
        const last = await lastPartitionPosition(redis, eventStore.keys, category, partition);
        const position = checkpoints.get(field)?.position ?? "0-0";
        if (compareStreamIds(position, last) < 0) caughtUp = false;
      }
      if (caughtUp && (await readModel.switchActiveBuild(active, build))) {
        const [seconds, micros] = await redis.time();
        const deleteAt =
          Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) + options.rebuildGraceMs;
        await redis.hset(keys.retired(), active, String(deleteAt));
        logger.info(
          { projection: projection.name, build, from: active, to: build, worker: workerId },
          `[streamstore] projection "${projection.name}": readers switched from ${active} to ${build}; ${active} is deleted in ${options.rebuildGraceMs} ms.`,
        );
      }
    }
    const [seconds, micros] = await redis.time();
    const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    for (const [retired, deleteAt] of Object.entries(await redis.hgetall(keys.retired()))) {
      // A field that is not a build id was written by hand: never let it reach a SCAN pattern.
      if (retired === build || !isBuildId(retired) || Number(deleteAt) > now) continue;
      await readModel.dropBuild(retired);
      if (readModel.kind !== "redis") {
        // Every primary of a Cluster: a keyless SCAN there reaches one random node.
        for (const server of serversOf(redis)) {
          let cursor = "0";
          do {
            const [next, found] = await server.scan(
              cursor,
              "MATCH",
              keys.buildPattern(retired),
              "COUNT",
              1000,
            );
            cursor = next;
            if (found.length > 0) await server.unlink(found);
          } while (cursor !== "0");
        }
      }
      for (const { category, partition } of partitions) {
        await redis
          .xgroup("DESTROY", eventStore.keys.log(category, partition), keys.group(retired))
          .catch(() => 0);
      }
      await redis.hdel(keys.retired(), retired);
    }
    return true;
  };

  const control = async (): Promise<void> => {
    let lastWarning = Number.NEGATIVE_INFINITY;
    while (!stopController.signal.aborted) {
      try {
        await resolvePartitions();
        const members = (
          await scripts.heartbeat(keys.members(build), workerId, options.memberTtlMs)
        )
          .map(String)
          .sort();
        if (!(await coordinateBuilds(members))) break;
        setState("running");
        await rebalance(members);
        controlError = undefined;
      } catch (error) {
        // Redis unreachable: leases stop being renewed, so partition workers stop reading by
        // themselves; this loop retries until the connection is back.
        const failure = describeRedisFailure(error, redis);
        controlError = failure.text;
        if (failure.kind !== undefined) setState("reconnecting");
        if (performance.now() - lastWarning > 5000) {
          lastWarning = performance.now();
          logger.warn(
            { projection: projection.name, build, worker: workerId, error: failure.text },
            `[streamstore] projection "${projection.name}" runner ${workerId}: ${failure.text}; retrying every ${options.heartbeatMs} ms.`,
          );
        }
      }
      await sleep(options.heartbeatMs, stopController.signal);
    }
    setState("stopping");
    for (const worker of workers.values()) worker.requestStop();
    await Promise.all([...workers.values()].map(release));
    try {
      await scripts.heartbeat(keys.members(build), workerId, "leave");
    } catch {
      // The membership expires by itself.
    }
    if (failure !== undefined) {
      setState("failed");
      throw failure;
    }
    setState("stopped");
  };

  if (runnerOptions.signal) {
    if (runnerOptions.signal.aborted) stopController.abort();
    runnerOptions.signal.addEventListener("abort", () => stopController.abort(), { once: true });
  }
  const done = control();
  done.catch(() => {});

  const targetsOf = async (target: CaughtUpTarget | undefined): Promise<Map<string, string>> => {
    const targets = new Map<string, string>();
    if (target === undefined) {
      await partitionsResolved;
      for (const { category, partition, field } of partitions) {
        targets.set(
          field,
          await lastPartitionPosition(redis, eventStore.keys, category, partition),
        );
      }
    } else if ("positions" in target) {
      const { category } = parseStreamName(target.streamName);
      const position = target.positions[target.positions.length - 1];
      if (position !== undefined) targets.set(partitionField(category, target.partition), position);
    } else {
      targets.set(partitionField(target.category, target.partition), target.position);
    }
    return targets;
  };

  return {
    workerId,
    build,
    get state() {
      return state;
    },
    get lastError() {
      return controlError ?? [...workers.values()].find((worker) => worker.lastError)?.lastError;
    },
    get: reader.get,
    getMany: reader.getMany,
    activeBuild: reader.activeBuild,
    refresh: reader.refresh,
    ownedPartitions: () =>
      [...workers.values()].map((worker) => ({
        partition: worker.field,
        state: worker.currentState,
        ...(worker.lastError === undefined ? {} : { lastError: worker.lastError }),
      })),
    async waitUntilCaughtUp(target, waitOptions = {}) {
      const timeoutMs = waitOptions.timeoutMs ?? 30_000;
      const deadline = performance.now() + timeoutMs;
      const targets = await targetsOf(target);
      const waitBuild = waitOptions.build ?? (await readModel.readActiveBuild()) ?? build;
      for (;;) {
        const checkpoints = await readModel.readCheckpoints(waitBuild);
        let behind: [string, string, string] | undefined;
        for (const [field, position] of targets) {
          const at = checkpoints.get(field)?.position ?? "0-0";
          if (compareStreamIds(at, position) < 0) {
            behind = [field, position, at];
            break;
          }
        }
        if (!behind) return;
        if (performance.now() > deadline) {
          throw new CatchUpTimeoutError(
            projection.name,
            behind[0],
            behind[1],
            behind[2],
            timeoutMs,
          );
        }
        await sleep(10);
      }
    },
    status: () => getProjectionStatus(projection, { redis, prefix, readModel, build }),
    deadLetters,
    async stop() {
      stopController.abort();
      await done.catch(() => {});
    },
    done,
  };
}

/**
 * Starts a projection worker. Any number of workers (processes) may run one projection: source
 * partitions are spread over the live workers, each owned through a fenced lease; each owned
 * partition catches up from its checkpoint with XRANGE, then tails with XREADGROUP BLOCK from
 * exactly there. Every batch commits its documents and the checkpoint in one script, so each event
 * takes effect exactly once in the read model. A bumped `version` builds beside the old build and
 * switches readers when caught up. See docs/delivery-guarantees.md.
 *
 * @example
 * const runner = startProjection(balances, { redis, store, signal: controller.signal });
 * await store.append("account-1", [{ type: "Deposited", data: { amount: 10 } }]);
 * await runner.waitUntilCaughtUp();
 * console.log(await runner.get("account-1"));
 */
export function startProjection<Catalog extends EventCatalog, StateType>(
  projection: Projection<Catalog, StateType>,
  runnerOptions: ProjectionRunnerOptions<Catalog>,
): ProjectionRunner<StateType> {
  const { redis } = runnerOptions;
  if (!redis || typeof (redis as Redis).defineCommand !== "function") {
    throw new InvalidArgumentError(
      "redis",
      "pass an ioredis client (new Redis(url)) or createFakeRedis().",
    );
  }
  resolveOptions(runnerOptions as ProjectionRunnerOptions<EventCatalog>);
  const options: ProjectionRunnerOptions<Catalog> = {
    ...runnerOptions,
    workerId:
      runnerOptions.workerId ??
      `${hostname()}-${process.pid}-${randomBytes(4).toString("hex")}`.replace(
        /[^A-Za-z0-9_.:-]/g,
        "_",
      ),
  };
  const prefix =
    runnerOptions.store?.keys.prefix ??
    runnerOptions.prefix ??
    DEFAULT_PROJECTION_RUNNER_OPTIONS.prefix;
  const keys = projectionKeys(prefix, projection.name);
  // Builds run side by side during a rebuild of the same version: the older one stops by itself
  // once readers switched to the newer one.
  const engines: ProjectionRunner<StateType>[] = [];
  let stopped = false;
  let latestGeneration = -1;
  let settle: (error?: unknown) => void = () => {};
  const done = new Promise<void>((resolve, reject) => {
    settle = (error) => (error === undefined ? resolve() : reject(error));
  });
  done.catch(() => {});
  const startGeneration = (generation: number) => {
    if (stopped || generation <= latestGeneration) return;
    latestGeneration = generation;
    const engine = startBuild(
      projection,
      options,
      buildId(projection.version, generation),
      startGeneration,
    );
    engines.push(engine);
    engine.done.then(
      () => {
        if (
          engines.every(
            (candidate) => candidate.state === "stopped" || candidate.state === "failed",
          )
        )
          settle();
      },
      (error: unknown) => {
        for (const other of engines) void other.stop();
        settle(error);
      },
    );
  };
  const starting = (async () => {
    // A rebuild requested before this worker started: run the requested build, and the active
    // one too when it is an older build of this version (it keeps serving until the switch).
    let requested = 0;
    let active: string | null = null;
    try {
      requested = Number((await redis.get(keys.generation(projection.version))) ?? 0);
      active = await (
        runnerOptions.readModel ??
        createRedisReadModelStore({ redis, prefix, name: projection.name })
      ).readActiveBuild();
    } catch {
      // Redis unreachable at start: run the plain build, whose loop waits for Redis.
    }
    const [activeVersion, activeGeneration] = active === null ? [0, 0] : buildOrder(active);
    if (activeVersion === projection.version && activeGeneration < requested) {
      startGeneration(activeGeneration);
    }
    startGeneration(requested);
  })();
  const latest = () => engines[engines.length - 1] as ProjectionRunner<StateType>;
  const ready = async () => {
    await starting;
    return latest();
  };
  const reader = createProjectionReader(projection, {
    readModel:
      runnerOptions.readModel ??
      createRedisReadModelStore({ redis, prefix, name: projection.name }),
    activeBuildCacheMs:
      runnerOptions.activeBuildCacheMs ?? DEFAULT_PROJECTION_RUNNER_OPTIONS.activeBuildCacheMs,
  });
  return {
    workerId: options.workerId as string,
    get build() {
      return engines.length === 0 ? buildId(projection.version) : latest().build;
    },
    get state() {
      return engines.length === 0 ? "starting" : latest().state;
    },
    get lastError() {
      return engines.length === 0 ? undefined : latest().lastError;
    },
    get: reader.get,
    getMany: reader.getMany,
    activeBuild: reader.activeBuild,
    refresh: reader.refresh,
    ownedPartitions: () => (engines.length === 0 ? [] : latest().ownedPartitions()),
    async waitUntilCaughtUp(target, waitOptions) {
      await (await ready()).waitUntilCaughtUp(target, waitOptions);
      // Read-your-writes through this runner: a switch of builds may be younger than the cache.
      reader.refresh();
    },
    status: async () => (await ready()).status(),
    deadLetters: {
      list: async (listOptions) => (await ready()).deadLetters.list(listOptions),
      retry: async (id) => (await ready()).deadLetters.retry(id),
      discard: async (id) => (await ready()).deadLetters.discard(id),
    },
    async stop() {
      stopped = true;
      await starting;
      await Promise.all(engines.map((engine) => engine.stop()));
      await done.catch(() => {});
    },
    done,
  };
}

/**
 * Asks every runner of a projection to rebuild its read model from the first event, without a
 * version bump (after a bug fix in a handler): runners build `v<version>.<n>` beside the active
 * build and switch readers to it once it has caught up, as for a version bump. Resolves the new
 * build's id.
 *
 * @example
 * await requestRebuild(balances, { redis, prefix: "shop" }); // "v1.1"
 */
export async function requestRebuild<Catalog extends EventCatalog, StateType>(
  projection: Projection<Catalog, StateType>,
  options: { redis: Redis | Cluster; prefix?: string },
): Promise<string> {
  const keys = projectionKeys(
    options.prefix ?? DEFAULT_PROJECTION_RUNNER_OPTIONS.prefix,
    projection.name,
  );
  const generation = await options.redis.incr(keys.generation(projection.version));
  return buildId(projection.version, generation);
}
