export * from "./CommandContext.js";
export * from "./noPermissionError.js";
export * from "./RedisClient.js";
