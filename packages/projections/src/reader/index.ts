export * from "./createProjectionReader.js";
