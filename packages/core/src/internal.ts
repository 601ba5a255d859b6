/**
 * What the sibling packages (@streamstore/archive, projections, testing, cli) need from core and
 * users should not call: no stability promise. Import from "@streamstore/core/internal".
 */
export * from "./archive/archivedEntry.js";
export * from "./archive/checkArchiveCall.js";
export * from "./archive/trimArchived.js";
export { assertRedisClient } from "./connection/assertRedisClient.js";
export * from "./connection/connectionReporter.js";
export {
  connectionFailure,
  describeRedisClient,
  describeRedisFailure,
  type RedisFailureKind,
  redisFailureKind,
  redisFailureReason,
  rememberRedisUrl,
} from "./connection/redisFailure.js";
export { evolveAll } from "./decider/evolveAll.js";
export { REDIS_URL_FORMS } from "./errors/connectionErrors.js";
export {
  assertCategory,
  assertKeyPrefix,
  type KeyLayout,
  keyLayout,
  MAX_STREAM_NAME_LENGTH,
  parseStreamName,
  partitionOf,
  STORAGE_LAYOUT_VERSION,
  type StreamName,
} from "./keys/keyLayout.js";
export { logLine } from "./logging/Logger.js";
export {
  type DataKey,
  dataKeyOf,
  ENVELOPE_PREFIX,
  type EnvelopeBinding,
  openValue,
  type ParsedEnvelope,
  parseEnvelope,
  sealValue,
} from "./personalData/envelope.js";
export { KeyRing } from "./personalData/KeyRing.js";
export { dataKeyKey } from "./personalData/keyStore.js";
export {
  assertDataSubject,
  type PersonalDataShape,
  personalDataShapeOf,
} from "./personalData/personal.js";
export {
  hasEnvelope,
  openPersonalFields,
  PERSONAL_DATA_FIELD,
  type PersonalDataKeys,
  sealPersonalFields,
  subjectOfEvent,
  subjectsInData,
  subjectsOfBatch,
  subjectsOfEntries,
} from "./personalData/personalFields.js";
export { openSnapshotState, sealSnapshotState } from "./personalData/snapshotSeal.js";
export * from "./scripting/functionLibrary.js";
export * from "./scripting/runFunction.js";
export * from "./scripting/scriptLine.js";
export * from "./scripting/scriptTwin.js";
export * from "./store/categoryRegistry.js";
export { checkLayout } from "./store/checkLayout.js";
export { type CheckServerOptions, checkServer, type ServerFacts } from "./store/checkServer.js";
export { type EncodedEvent, type EncodeLimits, encodeEvents } from "./store/encodeEvents.js";
export * from "./store/indexVersion.js";
export * from "./store/readAggregate.js";
export { corruptIndex, READ_XREAD_ABOVE } from "./store/readAggregatePage.js";
export * from "./store/readPartitionAfter.js";
export * from "./store/readPartitionBefore.js";
export {
  APPEND_SCRIPT,
  ARCHIVE_TRIM_SCRIPT,
  READ_SCRIPT,
  SNAPSHOT_SCRIPT,
  VERSION_SCRIPT,
} from "./store/scripts.js";
export * from "./store/scriptTwins.js";
export { compareStreamIds } from "./store/streamIds.js";
export {
  createTelemetry,
  errorMessage,
  failSpan,
  rememberTelemetryOptions,
  type Telemetry,
  type TelemetryScope,
  telemetryOptionsOf,
} from "./telemetry/createTelemetry.js";
export {
  loadOpenTelemetryApi,
  type OpenTelemetryApi,
  packageVersion,
} from "./telemetry/loadOpenTelemetryApi.js";
export {
  SPAN_KIND_CLIENT,
  SPAN_KIND_CONSUMER,
  SPAN_KIND_INTERNAL,
  SPAN_STATUS_ERROR,
  type TelemetryAttributes,
  type TelemetryCounter,
  type TelemetryHistogram,
  type TelemetryInstrumentOptions,
  type TelemetryMeter,
  type TelemetryObservableGauge,
  type TelemetryObservableResult,
  type TelemetrySpan,
  type TelemetrySpanOptions,
  type TelemetryTracer,
} from "./telemetry/TelemetryTypes.js";
export * from "./util/escapeControlCharacters.js";
export * from "./util/sleep.js";
