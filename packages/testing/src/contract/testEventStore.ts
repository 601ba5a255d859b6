import type { EventStore } from "@streamstore/core";
import { afterAll, beforeAll, describe } from "vitest";
import type { EventStoreContractContext } from "./EventStoreContractContext.js";
import { describeCategoryLog } from "./eventStoreCategoryLog.js";
import { bankEvents, type EventStoreSuite } from "./eventStoreFixture.js";
import { describeHandWrittenEntries } from "./eventStoreHandWritten.js";
import { describeSnapshotsAndBadInput } from "./eventStoreSnapshotsAndInput.js";
import { describeVersionsAndReads } from "./eventStoreVersionsAndReads.js";
import { describeCategoryReads } from "./testCategoryReads.js";

/**
 * The behaviour every streamstore event store must have, as a vitest suite: expected-version
 * kinds, reads in both directions with bounds and paging, category reads (`readCategory`,
 * `iterateCategory`) over every partition or one, idempotent retries, upcasting,
 * snapshots, versions that survive trimming the category log, and typed errors on hand-written
 * entries and indexes. Run it
 * against your own setup (a Redis, a Cluster, the fake) to check it before production does.
 *
 * @example
 * import { createContractContext, testEventStore } from "@streamstore/testing/contract";
 * testEventStore("my Redis", async () => createContractContext(new Redis(process.env.REDIS_URL)));
 */
export function testEventStore(
  label: string,
  setup: () => Promise<EventStoreContractContext>,
): void {
  describe(`EventStore contract (${label})`, () => {
    let context: EventStoreContractContext;
    let store: EventStore<typeof bankEvents>;
    beforeAll(async () => {
      context = await setup();
      store = context.createStore(bankEvents);
    });
    afterAll(async () => {
      await context?.close();
    });
    let counter = 0;
    const newStream = () => `account-${++counter}`;
    const suite: EventStoreSuite = { current: () => ({ context, store }), newStream };

    describeVersionsAndReads(suite);
    describeCategoryReads(() => context);
    describeCategoryLog(suite);
    describeHandWrittenEntries(suite);
    describeSnapshotsAndBadInput(suite);
  });
}
