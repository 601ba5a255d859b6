/**
 * What users of @streamstore/projections call. What the sibling packages and this package's tests
 * need and users should not call is in ./internal.ts ("@streamstore/projections/internal");
 * test/publicApi.exports.unit.spec.ts pins the runtime names.
 */
export { createDeadLetters, type DeadLetters } from "./deadLetters/createDeadLetters.js";
export {
  createReactorDeadLetters,
  type ReactorDeadLetters,
  type ReactorDeadLettersOptions,
} from "./deadLetters/createReactorDeadLetters.js";
export {
  CatchUpTimeoutError,
  CheckpointConflictError,
  CorruptCheckpointError,
  DeadLetterNotFoundError,
  isCatchUpTimeoutError,
  isCheckpointConflictError,
  isCorruptCheckpointError,
  isDeadLetterNotFoundError,
  isProjectionFencedError,
  isProjectionHandlerError,
  ProjectionFencedError,
  ProjectionHandlerError,
} from "./errors.js";
export {
  defineProjection,
  type Projection,
  type ProjectionContext,
  type ProjectionDefinitionInput,
  type ProjectionEventOf,
  type ProjectionHandlers,
  type ProjectionPersonalData,
  type StateOf,
} from "./projection/defineProjection.js";
export { type EraseSubjectOptions, eraseSubject } from "./projection/eraseSubject.js";
export {
  defineReactor,
  type Reactor,
  type ReactorContext,
  type ReactorDefinitionInput,
  type ReactorHandlers,
} from "./reactor/defineReactor.js";
export {
  DEFAULT_REACTOR_OPTIONS,
  type ReactorOptions,
  type ReactorRunner,
  type ReactorState,
} from "./reactor/ReactorOptions.js";
export { startReactor } from "./reactor/startReactor.js";
export {
  createProjectionReader,
  DEFAULT_PROJECTION_READER_OPTIONS,
  type ProjectionReader,
  type ProjectionReaderOptions,
} from "./reader/createProjectionReader.js";
export { createInMemoryReadModelStore } from "./readModel/createInMemoryReadModelStore.js";
export {
  createRedisReadModelStore,
  type RedisReadModelStoreOptions,
} from "./readModel/createRedisReadModelStore.js";
export { projectionsFunctionLibrary } from "./readModel/projectionsFunctionLibrary.js";
export type {
  Checkpoint,
  CommitOutcome,
  CommitRequest,
  DeadLetter,
  DeadLetterRecord,
  DocumentWrite,
  ReadModelStore,
  StoredDocument,
} from "./readModel/ReadModelStore.js";
export { type FindPendingRebuildOptions, findPendingRebuild } from "./runner/findPendingRebuild.js";
export {
  type CommitInfo,
  DEFAULT_PROJECTION_RUNNER_OPTIONS,
  type ProjectionRunnerOptions,
} from "./runner/ProjectionRunnerOptions.js";
export {
  type CaughtUpTarget,
  type ProjectionRunner,
  type RunnerState,
  requestRebuild,
  startProjection,
} from "./runner/startProjection.js";
export {
  type DiscoveredProjection,
  type DiscoverProjectionsOptions,
  discoverProjections,
} from "./status/discoverProjections.js";
export {
  type DiscoveredReactor,
  type DiscoverReactorsOptions,
  discoverReactors,
} from "./status/discoverReactors.js";
export {
  getProjectionStatus,
  type PartitionStatus,
  type PartitionStatusState,
  type ProjectionIdentity,
  type ProjectionStatus,
  type ProjectionStatusOptions,
} from "./status/getProjectionStatus.js";
export {
  getReactorStatus,
  type ReactorIdentity,
  type ReactorStatusOptions,
} from "./status/getReactorStatus.js";
export type {
  ReactorConsumerStatus,
  ReactorPartitionStatus,
  ReactorStatus,
} from "./status/reactorStatus.js";
