/**
 * What the sibling packages (@streamstore/testing, cli) and the tests need from projections and
 * users should not call: no stability promise. Import from "@streamstore/projections/internal".
 */

export { errorText } from "./errors.js";
export {
  activeBuildKeyPattern,
  buildId,
  buildOrder,
  compareBuilds,
  isBuildId,
  type ProjectionKeys,
  partitionField,
  projectionKeys,
} from "./keys/projectionKeys.js";
export {
  REACTOR_DEAD_LETTER_BUILD,
  type ReactorKeys,
  reactorKeys,
  reactorOfGroup,
} from "./keys/reactorKeys.js";
export { assertReadModelKey } from "./projection/defineProjection.js";
export { parseCheckpoint, parseDocument } from "./readModel/createRedisReadModelStore.js";
export {
  ACQUIRE_LEASE_SCRIPT,
  COMMIT_SCRIPT,
  DEAD_LETTER_COMMIT_SCRIPT,
  HEARTBEAT_SCRIPT,
  RENEW_LEASE_SCRIPT,
  SWITCH_ACTIVE_BUILD_SCRIPT,
  WRITE_DOCUMENT_SCRIPT,
} from "./readModel/scripts.js";
export * from "./readModel/scriptTwins.js";
export type { PartitionState } from "./runner/PartitionWorkerContext.js";
export type { ResolvedRunnerOptions } from "./runner/ProjectionRunnerOptions.js";
export {
  reactorConsumerStatus,
  reactorPartitionStatus,
  summarizeReactor,
} from "./status/reactorStatus.js";
