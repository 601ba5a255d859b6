export * from "./defineProjection.js";
