export * from "./envelope.js";
export * from "./errors.js";
export * from "./KeyRing.js";
export * from "./keyStore.js";
export * from "./personal.js";
export * from "./personalFields.js";
export * from "./snapshotSeal.js";
