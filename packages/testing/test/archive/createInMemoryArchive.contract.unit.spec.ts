import { testArchive } from "@streamstore/testing/contract";
import { createInMemoryArchive } from "../../src/archive/createInMemoryArchive.js";

// Issue 15: the in-memory archive passes the same contract as the PostgreSQL one
// (packages/archive/test/createPostgresArchive.contract.int.spec.ts).
testArchive("in memory", () => createInMemoryArchive());
