export * from "./ArchiverOptions.js";
export * from "./startArchiver.js";
