export * from "./archive/EventArchive.js";
export * from "./connection/index.js";
export * from "./decider/aggregateStream.js";
export * from "./decider/Decider.js";
export * from "./decider/evolveAll.js";
export * from "./decider/handleCommand.js";
export * from "./errors/index.js";
export * from "./events/defineEvents.js";
export * from "./events/types.js";
export * from "./keys/keyLayout.js";
export * from "./logging/Logger.js";
export * from "./personalData/index.js";
export type { FunctionLibrary, LibraryFunction } from "./scripting/functionLibrary.js";
export {
  type FunctionClient,
  type FunctionLibraryInstall,
  installFunctionLibraries,
} from "./scripting/runFunction.js";
export * from "./security/index.js";
export * from "./store/appendTypes.js";
export * from "./store/checkLayout.js";
export * from "./store/checkServer.js";
export * from "./store/coreFunctionLibrary.js";
export * from "./store/EventStore.js";
export * from "./store/encodeEvents.js";
export * from "./store/entryCodec.js";
export * from "./store/getRedisEventStore.js";
export * from "./store/limits.js";
export * from "./store/readAggregatePage.js";
export * from "./store/scripts.js";
export * from "./store/streamIds.js";
export * from "./telemetry/index.js";
