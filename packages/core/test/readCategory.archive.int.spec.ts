import { randomBytes } from "node:crypto";
import { createFakeRedis, createInMemoryArchive } from "@streamstore/testing";
import { deleteKeys } from "@streamstore/testing/contract";
import fc from "fast-check";
import { Redis } from "ioredis";
import { afterAll, describe, expect, inject, it } from "vitest";
import { z } from "zod";
import {
  defineEvents,
  type EventStore,
  getRedisEventStore,
  isArchiveRequiredError,
  type ReadCategoryOptions,
  silentLogger,
} from "../src/index.js";
import { compareStreamIds } from "../src/internal.js";
import { archiveOldest } from "./support/archiveOldest.js";

// store.readCategory over archived partitions (issue 13): random appends over three partitions,
// random prefixes of each partition log archived as the archiver does it (copied to the in-memory
// archive, then trimmed under the lease), more appends after, then random category reads (all
// partitions or one, forward or backward, from a position or past a cursor, random page sizes)
// followed page by page to the end and compared with a model of the category: the same events in
// the same order, no gap and no duplicate at any seam or page boundary. The same reads on a store
// without the archive throw ArchiveRequiredError whenever the answer holds an archived event.

const CATEGORY = "acct";
const PARTITIONS = 3;
const TOKEN = "archiver-token";
const events = defineEvents({ Deposited: z.object({ amount: z.number().int() }) });
type Store = EventStore<typeof events>;

interface ModelEvent {
  id: string;
  position: string;
  partition: number;
  streamName: string;
  version: number;
  amount: number;
}

const order = (a: ModelEvent, b: ModelEvent) =>
  compareStreamIds(a.position, b.position) || a.partition - b.partition;

const TARGETS = [
  { name: "real Redis", runs: 40, open: () => new Redis(inject("redisUrl")) },
  { name: "the fake", runs: 80, open: () => createFakeRedis() },
];

/** Follows `next` to the end; the events as the model's terms, or the error that ended it. */
async function readAll(
  store: Store,
  options: ReadCategoryOptions,
): Promise<{ events: ModelEvent[]; error?: unknown }> {
  const read: ModelEvent[] = [];
  let page = await store.readCategory(CATEGORY, options).catch((error: unknown) => error);
  for (;;) {
    if (page instanceof Error) return { events: read, error: page };
    const current = page as Awaited<ReturnType<Store["readCategory"]>>;
    for (const event of current.events) {
      read.push({
        id: event.id,
        position: event.position,
        partition: event.partition,
        streamName: event.streamName,
        version: event.version,
        amount: event.data.amount,
      });
    }
    if (current.done) return { events: read };
    const { from: _from, ...rest } = options;
    page = await store
      .readCategory(CATEGORY, { ...rest, cursor: current.next })
      .catch((error: unknown) => error);
  }
}

describe.each(TARGETS)("readCategory across the archive seam on $name", (target) => {
  const redis = target.open();
  const prefixes: string[] = [];
  afterAll(async () => {
    for (const prefix of prefixes) await deleteKeys(redis, `${prefix}:*`);
    redis.disconnect();
  });

  it("reads every event once, in the category order, whichever tier holds it", async () => {
    const stats = { reads: 0, throughArchive: 0, backwardThroughArchive: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            stream: fc.integer({ min: 1, max: 6 }),
            size: fc.integer({ min: 1, max: 3 }),
          }),
          { minLength: 4, maxLength: 14 },
        ),
        fc.array(fc.integer({ min: 0, max: 8 }), { minLength: PARTITIONS, maxLength: PARTITIONS }),
        fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 2 }),
        fc.array(
          fc.record({
            partition: fc.option(fc.integer({ min: 0, max: PARTITIONS - 1 }), { nil: undefined }),
            direction: fc.constantFrom("forward" as const, "backward" as const),
            limit: fc.integer({ min: 1, max: 7 }),
            start: fc.constantFrom("none", "from", "cursor"),
            at: fc.nat(),
          }),
          { minLength: 1, maxLength: 5 },
        ),
        async (appends, archiveCounts, chunks, reads) => {
          // Given
          const prefix = `rcat-${randomBytes(6).toString("hex")}`;
          prefixes.push(prefix);
          const options = {
            redis,
            events,
            prefix,
            partitions: PARTITIONS,
            serverCheck: "off" as const,
            logger: silentLogger,
          };
          const archive = createInMemoryArchive();
          const store = getRedisEventStore({ ...options, archive });
          const bare = getRedisEventStore(options);
          const model: ModelEvent[] = [];
          const versions = new Map<string, number>();
          let amount = 0;
          const append = async ({ stream, size }: { stream: number; size: number }) => {
            const streamName = `${CATEGORY}-${stream}`;
            const batch = Array.from({ length: size }, () => ({
              type: "Deposited" as const,
              data: { amount: ++amount },
            }));
            const result = await store.append(streamName, batch);
            result.positions.forEach((position, offset) => {
              const version = (versions.get(streamName) ?? 0) + 1;
              versions.set(streamName, version);
              model.push({
                id: "",
                position,
                partition: result.partition,
                streamName,
                version,
                amount: (batch[offset] as { data: { amount: number } }).data.amount,
              });
            });
          };
          const half = Math.ceil(appends.length / 2);
          for (const step of appends.slice(0, half)) await append(step);
          for (let partition = 0; partition < PARTITIONS; partition++) {
            await redis.set(store.keys.archiver(CATEGORY, partition), TOKEN);
            const count = archiveCounts[partition] ?? 0;
            if (count > 0) {
              await archiveOldest(redis, store.keys, archive, {
                category: CATEGORY,
                partition,
                count,
                token: TOKEN,
                chunks,
              });
            }
          }
          for (const step of appends.slice(half)) await append(step);
          model.sort(order);
          const seams = await Promise.all(
            Array.from({ length: PARTITIONS }, (_, partition) =>
              redis.hget(store.keys.archived(CATEGORY, partition), "position"),
            ),
          );
          const archived = (event: ModelEvent) => {
            const seam = seams[event.partition];
            return seam != null && compareStreamIds(event.position, seam) <= 0;
          };
          for (const read of reads) {
            const pick = model[read.at % model.length] as ModelEvent;
            const readOptions: ReadCategoryOptions = {
              direction: read.direction,
              limit: read.limit,
              ...(read.partition === undefined ? {} : { partition: read.partition }),
              ...(read.start === "from" ? { from: pick.position } : {}),
              ...(read.start === "cursor" ? { cursor: `${pick.position}/${pick.partition}` } : {}),
            };
            // The model's answer.
            const forward = read.direction === "forward";
            let expected = model.filter(
              (event) => read.partition === undefined || event.partition === read.partition,
            );
            if (read.start === "from") {
              expected = expected.filter(
                (event) =>
                  (forward ? 1 : -1) * compareStreamIds(event.position, pick.position) >= 0,
              );
            }
            if (read.start === "cursor") {
              expected = expected.filter((event) => (forward ? 1 : -1) * order(event, pick) > 0);
            }
            if (!forward) expected.reverse();
            // When
            const withArchive = await readAll(store, readOptions);
            const without = await readAll(bare, readOptions);
            // Then
            const label = JSON.stringify(readOptions);
            expect(withArchive.error, label).toBeUndefined();
            expect(
              withArchive.events.map(({ id: _id, ...rest }) => rest),
              label,
            ).toEqual(expected.map(({ id: _id, ...rest }) => rest));
            stats.reads++;
            if (expected.some(archived)) {
              stats.throughArchive++;
              if (!forward) stats.backwardThroughArchive++;
              expect(
                isArchiveRequiredError(without.error),
                `${label}: ${String(without.error)}`,
              ).toBe(true);
            } else if (without.error !== undefined) {
              // A backward read that reaches a partition's seam cannot tell, without the archive,
              // whether anything archived lies below where it reads: it refuses rather than guess.
              expect(forward, label).toBe(false);
              expect(isArchiveRequiredError(without.error), String(without.error)).toBe(true);
            } else {
              expect(without.events, label).toEqual(withArchive.events);
            }
          }
        },
      ),
      { numRuns: target.runs },
    );
    // The runs read through archived events, both ways (else the property proves little).
    console.log(`readCategory with an archive on ${target.name}: ${JSON.stringify(stats)}`);
    expect(stats.throughArchive).toBeGreaterThan(stats.reads / 4);
    expect(stats.backwardThroughArchive).toBeGreaterThan(0);
  }, 120_000);
});
