export * from "./archiveRequiredError.js";
export * from "./connectionErrors.js";
export * from "./errors.js";
export * from "./functionsNotLoadedError.js";
export * from "./limitErrors.js";
export * from "./StreamstoreError.js";
