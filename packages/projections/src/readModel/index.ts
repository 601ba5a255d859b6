export * from "./createInMemoryReadModelStore.js";
export * from "./createRedisReadModelStore.js";
export { projectionsFunctionLibrary } from "./projectionsFunctionLibrary.js";
export * from "./ReadModelStore.js";
export * from "./scripts.js";
