import { createContractContext, testEventStore } from "@streamstore/testing/contract";
import { Redis } from "ioredis";
import { inject } from "vitest";

testEventStore("real Redis", async () => createContractContext(new Redis(inject("redisUrl"))));
