export * from "./defineProjection.js";
export * from "./eraseSubject.js";
