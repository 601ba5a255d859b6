export { compareStreamIds } from "@streamstore/core/internal";
export * from "./findPendingRebuild.js";
export type { PartitionState } from "./PartitionWorkerContext.js";
export * from "./ProjectionRunnerOptions.js";
export * from "./startProjection.js";
