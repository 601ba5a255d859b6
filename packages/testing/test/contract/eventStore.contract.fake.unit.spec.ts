import { createFakeRedis } from "@streamstore/testing";
import { createContractContext, testEventStore } from "@streamstore/testing/contract";

// The same contract as against real Redis, unchanged, on the in-memory fake (core's scripts run
// as their native twins, the default).
testEventStore("in-memory fake", async () => createContractContext(createFakeRedis()));
