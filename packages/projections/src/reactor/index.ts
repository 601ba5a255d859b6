export * from "./defineReactor.js";
export * from "./startReactor.js";
