export * from "./defineReactor.js";
export * from "./ReactorOptions.js";
export * from "./startReactor.js";
