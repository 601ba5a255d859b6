export * from "./EventStoreContractContext.js";
export * from "./indexRecords.js";
export * from "./testArchive.js";
export * from "./testEventStore.js";
