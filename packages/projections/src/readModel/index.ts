export * from "./createInMemoryReadModelStore.js";
export * from "./createRedisReadModelStore.js";
export * from "./ReadModelStore.js";
export * from "./scripts.js";
