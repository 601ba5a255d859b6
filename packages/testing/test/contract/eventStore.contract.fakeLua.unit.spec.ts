import { createFakeRedis } from "@streamstore/testing";
import { createContractContext, testEventStore } from "@streamstore/testing/contract";

// The same contract with every script in the fake's Lua VM instead of its native twin: with the
// twins' run (eventStore.contract.fake.unit.spec.ts) this is the proof that twin and Lua agree.
testEventStore("in-memory fake, scripts in Lua", async () =>
  createContractContext(createFakeRedis({ scriptTwins: false })),
);
