/**
 * What the sibling packages (@streamstore/archive, projections, testing, cli) need from core and
 * users should not call: no stability promise. Import from "@streamstore/core/internal".
 */
export * from "./archive/archivedEntry.js";
export * from "./archive/checkArchiveCall.js";
export * from "./archive/trimArchived.js";
export * from "./connection/connectionReporter.js";
export {
  describeRedisFailure,
  redisFailureReason,
  rememberRedisUrl,
} from "./connection/redisFailure.js";
export * from "./scripting/functionLibrary.js";
export * from "./scripting/runFunction.js";
export * from "./scripting/scriptLine.js";
export * from "./scripting/scriptTwin.js";
export * from "./store/categoryRegistry.js";
export * from "./store/indexVersion.js";
export * from "./store/readAggregate.js";
export * from "./store/readPartitionAfter.js";
export * from "./store/readPartitionBefore.js";
export * from "./store/scriptTwins.js";
export * from "./util/escapeControlCharacters.js";
export * from "./util/sleep.js";
