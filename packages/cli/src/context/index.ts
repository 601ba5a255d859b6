export * from "./CommandContext.js";
export * from "./noPermissionError.js";
