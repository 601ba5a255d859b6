export * from "./deciderSpecification.js";
export * from "./projectionSpecification.js";
