export * from "./config/index.js";
export * from "./context/index.js";
export * from "./dashboard/index.js";
export * from "./exitCodes.js";
export * from "./output/index.js";
export { createProgram, runCli } from "./program.js";
