export * from "./defineConfig.js";
export * from "./loadConfig.js";
