export * from "./projectionKeys.js";
export * from "./reactorKeys.js";
