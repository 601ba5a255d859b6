import {
  type EventCatalog,
  type EventStore,
  getRedisEventStore,
  silentLogger,
} from "@streamstore/core";
import {
  assertRedisClient,
  describeRedisFailure,
  readPartitionCount,
  sleep,
} from "@streamstore/core/internal";
import { createDeadLetters } from "../deadLetters/createDeadLetters.js";
import { partitionField, projectionKeys } from "../keys/projectionKeys.js";
import type { Projection } from "../projection/defineProjection.js";
import { createProjectionReader } from "../reader/createProjectionReader.js";
import { createRedisReadModelStore } from "../readModel/createRedisReadModelStore.js";
import { getProjectionStatus } from "../status/getProjectionStatus.js";
import { runnerInstrumentation } from "../telemetry/partitionInstrumentation.js";
import {
  createProjectionsTelemetry,
  telemetryOptionsFor,
} from "../telemetry/projectionsTelemetry.js";
import { coordinateBuilds } from "./buildSwitch.js";
import { leaseScripts } from "./leaseScripts.js";
import { PartitionLeases } from "./PartitionLeases.js";
import type { PartitionWorkerContext } from "./PartitionWorkerContext.js";
import type { ProjectionRunner, RunnerState } from "./ProjectionRunner.js";
import type { ProjectionRunnerOptions } from "./ProjectionRunnerOptions.js";
import { assignedFields, type SourcePartition } from "./partitionAssignment.js";
import { defaultWorkerId, resolveRunnerOptions } from "./resolveRunnerOptions.js";
import { waitUntilCaughtUp } from "./waitUntilCaughtUp.js";

/**
 * Starts one build's engine; `startProjection` runs one or two of these. Its control loop beats
 * every `heartbeatMs`: resolves the source partitions, renews its membership, coordinates the
 * builds (see coordinateBuilds), and rebalances the leases of the partitions it is assigned.
 *
 * @example
 * const engine = startBuild(balances, { redis, store }, "v1.1", startGeneration);
 */
export function startBuild<Catalog extends EventCatalog, StateType>(
  projection: Projection<Catalog, StateType>,
  runnerOptions: ProjectionRunnerOptions<Catalog>,
  build: string,
  onRebuildRequested: (generation: number) => void,
): ProjectionRunner<StateType> {
  const { redis } = runnerOptions;
  assertRedisClient(redis);
  const options = resolveRunnerOptions(runnerOptions as ProjectionRunnerOptions<EventCatalog>);
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
  const prefix = eventStore.keys.prefix;
  const readModel =
    runnerOptions.readModel ?? createRedisReadModelStore({ redis, prefix, name: projection.name });
  const workerId = runnerOptions.workerId ?? defaultWorkerId();
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
  let partitions: SourcePartition[] = [];
  let resolvedOnce: () => void = () => {};
  const partitionsResolved = new Promise<void>((resolve) => {
    resolvedOnce = resolve;
  });
  const resolvePartitions = async (): Promise<void> => {
    const next: SourcePartition[] = [];
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

  const context: PartitionWorkerContext = {
    projection: projection as unknown as Projection<EventCatalog, unknown>,
    build,
    redis,
    storeKeys: eventStore.keys,
    archive: runnerOptions.archive ?? eventStore.archive,
    personalData: eventStore.personalData,
    readModel,
    keys: projectionKeys(prefix, projection.name),
    workerId,
    options,
    logger,
    onCommit: runnerOptions.onCommit,
    // The runner's own providers, else the store's, else the global ones.
    instrumentation: runnerInstrumentation(
      createProjectionsTelemetry(telemetryOptionsFor(runnerOptions, runnerOptions.store)),
      { projection: projection.name, build, workerId },
    ),
    onFailed: (error: unknown) => {
      failure ??= error;
      stopController.abort();
    },
  };
  const leases = new PartitionLeases(context, scripts, stopController.signal);
  const { keys } = context;

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
        if (!(await coordinateBuilds(context, members, partitions, onRebuildRequested))) break;
        setState("running");
        await leases.rebalance(partitions, assignedFields(partitions, members, workerId));
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
    await leases.releaseAll();
    try {
      // After every worker's last write: a retired build is deleted once its members are gone.
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

  const catchUpContext = {
    projectionName: projection.name,
    redis,
    storeKeys: eventStore.keys,
    readModel,
    build,
    partitions: async () => {
      await partitionsResolved;
      return partitions;
    },
  };
  return {
    workerId,
    build,
    get state() {
      return state;
    },
    get lastError() {
      return controlError ?? leases.owned.find((worker) => worker.lastError)?.lastError;
    },
    get: reader.get,
    getMany: reader.getMany,
    activeBuild: reader.activeBuild,
    refresh: reader.refresh,
    ownedPartitions: () =>
      leases.owned.map((worker) => ({
        partition: worker.field,
        state: worker.currentState,
        ...(worker.lastError === undefined ? {} : { lastError: worker.lastError }),
      })),
    waitUntilCaughtUp: (target, waitOptions) =>
      waitUntilCaughtUp(catchUpContext, target, waitOptions),
    status: () => getProjectionStatus(projection, { redis, prefix, readModel, build }),
    deadLetters,
    async stop() {
      stopController.abort();
      await done.catch(() => {});
    },
    done,
  };
}
