/**
 * What users of @streamstore/core call. What the sibling packages need and users should not call is
 * in ./internal.ts ("@streamstore/core/internal"); test/publicApi.exports.unit.spec.ts pins the
 * runtime names.
 */
export type {
  ArchivedEntry,
  ArchivePartitionRequest,
  ArchivePartitionStats,
  ArchiveStreamRequest,
  EventArchive,
} from "./archive/EventArchive.js";
export {
  type ConnectRedisOptions,
  connectRedis,
  DEFAULT_CONNECT_REDIS_OPTIONS,
} from "./connection/connectRedis.js";
export { maskRedisUrl, parseRedisUrl, type RedisTarget } from "./connection/redisUrl.js";
export {
  type AggregateState,
  type AggregateStreamOptions,
  aggregateStream,
} from "./decider/aggregateStream.js";
export type { Decider, MaybePromise, SnapshotPolicy } from "./decider/Decider.js";
export {
  DEFAULT_HANDLE_COMMAND_OPTIONS,
  type HandleCommandOptions,
  type HandleCommandResult,
  handleCommand,
} from "./decider/handleCommand.js";
export { ArchiveRequiredError, isArchiveRequiredError } from "./errors/archiveRequiredError.js";
export {
  InvalidRedisUrlError,
  isInvalidRedisUrlError,
  isRedisAuthError,
  isRedisUnavailableError,
  RedisAuthError,
  RedisUnavailableError,
} from "./errors/connectionErrors.js";
export {
  ArchiveConflictError,
  ArchiveSchemaError,
  ArchiveUnavailableError,
  ConcurrencyError,
  CorruptEventError,
  EventTooLargeError,
  IdempotencyConflictError,
  InvalidArgumentError,
  InvalidEventError,
  InvalidStreamNameError,
  isArchiveConflictError,
  isArchiveSchemaError,
  isArchiveUnavailableError,
  isConcurrencyError,
  isCorruptEventError,
  isEventTooLargeError,
  isIdempotencyConflictError,
  isInvalidArgumentError,
  isInvalidEventError,
  isInvalidStreamNameError,
  isLegacyLayoutError,
  isPartitionCountMismatchError,
  isRedisOutOfMemoryError,
  isReplicationTimeoutError,
  isUnknownEventTypeError,
  isUnsafeServerConfigError,
  LegacyLayoutError,
  PartitionCountMismatchError,
  RedisOutOfMemoryError,
  ReplicationTimeoutError,
  ScriptFailedError,
  UnknownEventTypeError,
  UnsafeServerConfigError,
} from "./errors/errors.js";
export {
  FunctionsNotLoadedError,
  isFunctionsNotLoadedError,
} from "./errors/functionsNotLoadedError.js";
export {
  BatchTooLargeError,
  CorruptCategoryRegistryError,
  isBatchTooLargeError,
  isCorruptCategoryRegistryError,
} from "./errors/limitErrors.js";
export {
  isStreamstoreError,
  StreamstoreError,
  type StreamstoreErrorCode,
} from "./errors/StreamstoreError.js";
export {
  defineEvents,
  type EventCatalog,
  type EventDefinitionInput,
  type EventDefinitions,
  type EventInputOf,
  type EventOf,
  type EventTypeDefinition,
  type Upcaster,
  type VersionedEventDefinition,
  versionedEvent,
} from "./events/defineEvents.js";
export type { AnyEvent, EventMetadata, NewEvent, RecordedEvent } from "./events/types.js";
export { consoleWarningLogger, type Logger, silentLogger } from "./logging/Logger.js";
export {
  InvalidDataSubjectError,
  isInvalidDataSubjectError,
  isMissingDataSubjectError,
  isSubjectForgottenError,
  MissingDataSubjectError,
  SubjectForgottenError,
} from "./personalData/errors.js";
export { DEFAULT_KEY_CACHE_TTL_MS } from "./personalData/KeyRing.js";
export {
  createRedisKeyStore,
  type PersonalDataKeyStore,
  personalDataAuditKey,
  type RedisKeyStoreOptions,
} from "./personalData/keyStore.js";
export {
  dataSubject,
  FORGOTTEN,
  type Forgotten,
  isForgotten,
  type PersonalField,
  personal,
} from "./personalData/personal.js";
export type { FunctionLibrary, LibraryFunction } from "./scripting/functionLibrary.js";
export {
  type FunctionClient,
  type FunctionLibraryInstall,
  installFunctionLibraries,
} from "./scripting/runFunction.js";
export {
  type AclRole,
  type AclRuleOptions,
  aclRuleFor,
  DEFAULT_ACL_RULE_OPTIONS,
} from "./security/aclRuleFor.js";
export type {
  AppendDurability,
  AppendOptions,
  AppendResult,
  ExpectedVersion,
} from "./store/appendTypes.js";
export { coreFunctionLibrary } from "./store/coreFunctionLibrary.js";
export type {
  CategoryPage,
  EventStore,
  IterateCategoryOptions,
  ReadCategoryOptions,
  ReadOptions,
  Snapshot,
  StreamLocation,
} from "./store/EventStore.js";
export { decodeEntry, type EntrySource, type RawStreamEntry } from "./store/entryCodec.js";
export {
  DEFAULT_EVENT_STORE_OPTIONS,
  getRedisEventStore,
  type PersonalDataOptions,
  type RedisEventStoreOptions,
} from "./store/getRedisEventStore.js";
export { MAX_BATCH_BYTES, MAX_BATCH_SIZE, MAX_PARTITIONS } from "./store/limits.js";
export {
  type AggregatePage,
  type AggregatePageRequest,
  readAggregatePage,
} from "./store/readAggregatePage.js";
export { INDEX_HEADER_BYTES, INDEX_RECORD_BYTES } from "./store/scripts.js";
export type {
  MeterProviderLike,
  TelemetryOptions,
  TracerProviderLike,
} from "./telemetry/TelemetryTypes.js";
