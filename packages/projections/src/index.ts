export * from "./deadLetters/index.js";
export * from "./errors.js";
export * from "./keys/index.js";
export * from "./projection/index.js";
export * from "./reader/index.js";
export * from "./readModel/index.js";
export * from "./runner/index.js";
export * from "./status/index.js";
