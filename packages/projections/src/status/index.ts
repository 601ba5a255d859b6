export * from "./discoverProjections.js";
export * from "./discoverReactors.js";
export * from "./getProjectionStatus.js";
export * from "./getReactorStatus.js";
export * from "./reactorStatus.js";
