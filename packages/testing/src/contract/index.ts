export * from "./EventStoreContractContext.js";
export * from "./testEventStore.js";
