import type { FunctionClient } from "@streamstore/core";
import { defineFunctionLibrary, runFunction } from "@streamstore/core/internal";
import {
  ACQUIRE_LEASE_SCRIPT,
  COMMIT_SCRIPT,
  DEAD_LETTER_COMMIT_SCRIPT,
  HEARTBEAT_SCRIPT,
  RENEW_LEASE_SCRIPT,
  SWITCH_ACTIVE_BUILD_SCRIPT,
  WRITE_DOCUMENT_SCRIPT,
} from "./scripts.js";

/**
 * The Redis Functions library of @streamstore/projections: read-model commits, dead letters,
 * leases, membership and the build switch. Runners load it on first use where it is missing; a
 * deployment whose application user may not load functions loads it once with
 * `streamstore functions install` or `installFunctionLibraries(redis, [projectionsFunctionLibrary])`.
 *
 * @example
 * await installFunctionLibraries(adminRedis, [coreFunctionLibrary, projectionsFunctionLibrary]);
 */
export const projectionsFunctionLibrary = defineFunctionLibrary("projections", {
  acquire_lease: ACQUIRE_LEASE_SCRIPT,
  commit: COMMIT_SCRIPT,
  dead_letter: DEAD_LETTER_COMMIT_SCRIPT,
  heartbeat: HEARTBEAT_SCRIPT,
  renew_lease: RENEW_LEASE_SCRIPT,
  switch_active_build: SWITCH_ACTIVE_BUILD_SCRIPT,
  write_document: WRITE_DOCUMENT_SCRIPT,
});

/** The name of one of the projections' functions. */
export type ProjectionsFunction = keyof typeof projectionsFunctionLibrary.functions;

/**
 * Runs one of the projections' functions (loading the library where it is missing).
 *
 * @example
 * await runProjectionsFunction(redis, "renew_lease", [leaseKey], [holder, 30000]);
 */
export function runProjectionsFunction(
  redis: FunctionClient,
  name: ProjectionsFunction,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  return runFunction(
    redis,
    projectionsFunctionLibrary,
    projectionsFunctionLibrary.functions[name],
    keys,
    args,
  );
}
