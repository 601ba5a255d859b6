export * from "./createDeadLetters.js";
