import type { EventArchive, EventCatalog, Logger } from "@streamstore/core";
import type { KeyLayout, KeyRing } from "@streamstore/core/internal";
import type { Cluster, Redis } from "ioredis";
import type { ProjectionKeys } from "../keys/projectionKeys.js";
import type { Projection } from "../projection/defineProjection.js";
import type { ReadModelStore } from "../readModel/ReadModelStore.js";
import type { RunnerInstrumentation } from "../telemetry/partitionInstrumentation.js";
import type { CommitInfo, ResolvedRunnerOptions } from "./ProjectionRunnerOptions.js";

/**
 * The state of one owned partition; changed only in `PartitionWorker.setState`.
 *
 * @example
 * for (const owned of runner.ownedPartitions()) if (owned.state === "live") console.log(owned.partition);
 */
export type PartitionState =
  | "starting"
  | "catching-up"
  | "live"
  /** Redis is unreachable (or refuses the credentials): retrying with backoff. */
  | "reconnecting"
  | "stopped"
  | "failed";

/**
 * What every part of one build's engine shares (membership, leases, builds, cleanup).
 *
 * @example
 * await coordinateBuilds(context, members, partitions, startGeneration);
 */
export interface BuildContext {
  projection: Projection<EventCatalog, unknown>;
  build: string;
  redis: Redis | Cluster;
  /** The event store's keys: each source partition's log and archive seam. */
  storeKeys: KeyLayout;
  readModel: ReadModelStore;
  keys: ProjectionKeys;
  workerId: string;
  options: ResolvedRunnerOptions;
  logger: Logger;
}

/**
 * What a partition worker shares with its runner.
 *
 * @example
 * new PartitionWorker(context, "account", 0, token, performance.now() + 3000);
 */
export interface PartitionWorkerContext extends BuildContext {
  /** Where entries the archiver trimmed from the logs are read from; undefined: none given. */
  archive: EventArchive | undefined;
  /** The store's personal-data keys: personal fields are decrypted with them (docs/personal-data.md). */
  personalData: KeyRing | undefined;
  onCommit: ((info: CommitInfo) => void) | undefined;
  /** Spans and metrics of each partition, reported at named points of the worker's logic. */
  instrumentation: RunnerInstrumentation;
  /** The failure policy stopped this partition (the runner fails). */
  onFailed: (error: unknown) => void;
}
