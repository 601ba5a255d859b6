import type { AppendResult } from "@streamstore/core";
import type { DeadLetters } from "../deadLetters/createDeadLetters.js";
import type { ProjectionReader } from "../reader/createProjectionReader.js";
import type { ProjectionStatus } from "../status/getProjectionStatus.js";
import type { PartitionState } from "./PartitionWorkerContext.js";

/**
 * The runner's state; changed only in `setState` of a build's engine (`startBuild`), logged `from -> to`.
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
  /** The status of this runner's build (see `getProjectionStatus`). */
  status(): Promise<ProjectionStatus>;
  /** The dead letters of this runner's build. */
  readonly deadLetters: DeadLetters;
  /** Stops: in-flight batches are committed (or abandoned before their commit), leases released. */
  stop(): Promise<void>;
  /** Resolves when the runner stopped; rejects when it failed (failure policy `"stop"`). */
  readonly done: Promise<void>;
}
