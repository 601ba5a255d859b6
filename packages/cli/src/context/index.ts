export * from "./CommandContext.js";
