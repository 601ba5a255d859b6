export * from "./projectionKeys.js";
