export * from "./getProjectionStatus.js";
