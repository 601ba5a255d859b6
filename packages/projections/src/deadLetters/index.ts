export * from "./createDeadLetters.js";
export * from "./createReactorDeadLetters.js";
