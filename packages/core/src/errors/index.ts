export * from "./errors.js";
export * from "./StreamstoreError.js";
