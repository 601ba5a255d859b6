export * from "./deciderSpecification.js";
