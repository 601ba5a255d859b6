export * from "./archiveRequiredError.js";
export * from "./connectionErrors.js";
export * from "./errors.js";
export * from "./StreamstoreError.js";
