export * from "./discoverProjections.js";
export * from "./getProjectionStatus.js";
