import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { type EventCatalog, InvalidArgumentError, MAX_BATCH_SIZE } from "@streamstore/core";
import type { ReadModelStore } from "../readModel/ReadModelStore.js";
import {
  DEFAULT_PROJECTION_RUNNER_OPTIONS,
  type ProjectionRunnerOptions,
  type ResolvedRunnerOptions,
} from "./ProjectionRunnerOptions.js";

/**
 * A worker id unique to this process: host, pid and a random suffix, in characters safe in keys.
 *
 * @example
 * const workerId = options.workerId ?? defaultWorkerId();
 */
export function defaultWorkerId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(4).toString("hex")}`.replace(
    /[^A-Za-z0-9_.:-]/g,
    "_",
  );
}

/**
 * Fails when both a store and a `prefix` option are given and name different prefixes: the
 * store's would be used and the option silently ignored, so status, the CLI and read models
 * looked up under the option's prefix would find nothing.
 *
 * @example
 * assertPrefixAgrees(options.store, options.prefix);
 */
export function assertPrefixAgrees(
  store: { keys: { prefix: string } } | undefined,
  prefix: string | undefined,
): void {
  if (store === undefined || prefix === undefined || store.keys.prefix === prefix) return;
  throw new InvalidArgumentError(
    "prefix",
    `${JSON.stringify(prefix)} differs from the store's prefix ${JSON.stringify(store.keys.prefix)}: with a store, leave prefix out (the store's is used; see the options table of the @streamstore/projections README).`,
  );
}

/**
 * Fails unless the read model given to a runner is the projection's: same name and (in Redis)
 * same prefix. A read model of another name or prefix checks its commits against fence tokens
 * the runner never writes: every commit would be refused as stale, and nothing ever projected.
 *
 * @example
 * assertReadModelOf(options.readModel, projection.name, prefix);
 */
export function assertReadModelOf(
  readModel: ReadModelStore | undefined,
  projectionName: string,
  prefix: string,
): void {
  if (readModel === undefined) return;
  if (readModel.name !== projectionName) {
    throw new InvalidArgumentError(
      "readModel",
      `it is named ${JSON.stringify(readModel.name)}, the projection ${JSON.stringify(projectionName)}: create it with the projection's name (createRedisReadModelStore({ redis, prefix, name: projection.name }); see readModel in the @streamstore/projections README).`,
    );
  }
  if (readModel.prefix !== undefined && readModel.prefix !== prefix) {
    throw new InvalidArgumentError(
      "readModel",
      `its prefix is ${JSON.stringify(readModel.prefix)}, the runner's ${JSON.stringify(prefix)} (the store's, or the prefix option): create it with the same prefix (see readModel in the @streamstore/projections README).`,
    );
  }
}

/**
 * The runner's options with the defaults filled in, checked: a bad value fails with a typed
 * error before anything runs.
 *
 * @example
 * const { leaseTtlMs, batchSize } = resolveRunnerOptions({ redis, batchSize: 100 });
 */
export function resolveRunnerOptions(
  options: ProjectionRunnerOptions<EventCatalog>,
): ResolvedRunnerOptions {
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
