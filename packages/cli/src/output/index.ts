export * from "./cliLogger.js";
export * from "./Output.js";
