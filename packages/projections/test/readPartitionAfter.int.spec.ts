import {
  type ArchivedEntry,
  type EventArchive,
  type EventStore,
  isArchiveRequiredError,
  isCorruptEventError,
  type RawStreamEntry,
} from "@streamstore/core";
import { archivedEntryOf, readPartitionAfter, trimArchived } from "@streamstore/core/internal";
import { createInMemoryArchive } from "@streamstore/testing";
import type { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { countingArchive } from "./support/archiveFixtures.js";
import { testBackends } from "./support/backends.js";
import type { bankEvents } from "./support/fixtures.js";
import { useTestKeyspace } from "./support/useTestKeyspace.js";

type Store = EventStore<typeof bankEvents>;

/** An entry as a comparable value: its position and its fields as a map (field order aside). */
const shape = ([position, fields]: RawStreamEntry) => {
  const map: Record<string, string> = {};
  for (let i = 0; fields && i + 1 < fields.length; i += 2) {
    map[fields[i] as string] = fields[i + 1] as string;
  }
  return [position, map];
};

/** Appends `count` events to partition 0 of a one-partition category; returns its whole log. */
async function appendEvents(redis: Redis, store: Store, count: number): Promise<RawStreamEntry[]> {
  for (let i = 1; i <= count; i++) {
    await store.append(`account-${i % 3}`, [{ type: "Deposited", data: { amount: i } }]);
  }
  return (await redis.xrange(store.keys.log("account", 0), "-", "+")) as RawStreamEntry[];
}

/**
 * Does what one archiver step does, by hand: the log's oldest `count` entries into the archive,
 * then the fenced trim that moves the seam past them.
 */
async function archiveOldest(
  redis: Redis,
  store: Store,
  archive: EventArchive,
  count: number,
): Promise<string> {
  const keys = store.keys;
  const oldest = (await redis.xrange(keys.log("account", 0), "-", "+", "COUNT", count)) as [
    string,
    string[],
  ][];
  const entries = oldest.map((entry) => archivedEntryOf("account", 0, entry));
  await archive.write(entries);
  const highest = new Map<string, ArchivedEntry>();
  for (const entry of entries) highest.set(entry.streamName, entry);
  await redis.set(keys.archiver("account", 0), "token-1");
  const through = (entries[entries.length - 1] as ArchivedEntry).position;
  const result = await trimArchived(redis, keys, {
    category: "account",
    partition: 0,
    token: "token-1",
    through,
    aggregates: [...highest.values()].map((entry) => ({
      id: entry.streamName.slice("account-".length),
      version: entry.version,
      position: entry.position,
    })),
  });
  expect(result.outcome).toBe("trimmed");
  return through;
}

describe.each(testBackends())("readPartitionAfter on $name", (backend) => {
  const keyspace = useTestKeyspace(backend);

  it("reads the log alone when nothing was archived", async () => {
    // Given 10 events and no archive seam
    const { redis } = keyspace;
    const store = keyspace.store();
    const log = await appendEvents(redis, store, 10);
    const archive = countingArchive(createInMemoryArchive());

    // When pages of 4 are read from the start
    const first = await readPartitionAfter(redis, archive, store.keys, "account", 0, "0-0", 4);
    const rest = await readPartitionAfter(
      redis,
      archive,
      store.keys,
      "account",
      0,
      (first[3] as RawStreamEntry)[0],
      100,
    );

    // Then they are the log's entries in order, and the archive was never asked
    expect([...first, ...rest]).toEqual(log);
    expect(archive.partitionReads).toBe(0);
  });

  it("reads the log alone after a position at or above the seam, even without an archive", async () => {
    // Given 10 events of which the oldest 4 are archived and trimmed
    const { redis } = keyspace;
    const store = keyspace.store();
    const log = await appendEvents(redis, store, 10);
    const archive = countingArchive(createInMemoryArchive());
    const seam = await archiveOldest(redis, store, archive, 4);

    // When the partition is read after the seam itself, and after a later position
    const atSeam = await readPartitionAfter(redis, undefined, store.keys, "account", 0, seam, 100);
    const later = await readPartitionAfter(
      redis,
      archive,
      store.keys,
      "account",
      0,
      (log[6] as RawStreamEntry)[0],
      100,
    );

    // Then both come from the log, the archive unasked
    expect(atSeam).toEqual(log.slice(4));
    expect(later).toEqual(log.slice(7));
    expect(archive.partitionReads).toBe(0);
  });

  it("reads archived entries from the archive, in order, as many as asked, then goes on in the log", async () => {
    // Given 10 events of which the oldest 6 are archived and trimmed from Redis
    const { redis } = keyspace;
    const store = keyspace.store();
    const log = await appendEvents(redis, store, 10);
    const archive = countingArchive(createInMemoryArchive());
    await archiveOldest(redis, store, archive, 6);
    expect(await redis.xlen(store.keys.log("account", 0))).toBe(4);

    // When the partition is read from the start in pages of 4
    const pages: RawStreamEntry[][] = [];
    let after = "0-0";
    for (;;) {
      const page = await readPartitionAfter(redis, archive, store.keys, "account", 0, after, 4);
      if (page.length === 0) break;
      pages.push(page);
      after = (page[page.length - 1] as RawStreamEntry)[0];
    }

    // Then the pages hold every event once, in log order: 4 archived, then the last 2 archived
    // with the first 2 hot ones, then the last 2 hot ones
    expect(pages.map((page) => page.length)).toEqual([4, 4, 2]);
    expect(pages.flat().map(shape)).toEqual(log.map(shape));
    expect(archive.partitionReads).toBe(2);
  });

  /** Runs a command by its ioredis method name (`…Buffer`: the reply as Buffers). */
  const runCommand = (redis: Redis, name: string, args: (string | number)[]) =>
    name.endsWith("Buffer")
      ? redis.callBuffer(name.slice(0, -"Buffer".length), ...args)
      : redis.call(name, ...args);

  /**
   * A client that runs the read's commands one after another, in the order they were sent, and
   * lets the archiver trim the oldest 6 entries right after the first one ran: as a single Redis
   * (two commands, sent back to back), or as a Cluster (one pipeline).
   */
  const racingClients = {
    "one Redis": (
      redis: Redis,
      onFirstReply: () => Promise<unknown>,
      replies: Map<string, unknown>,
    ) => {
      let previous: Promise<unknown> = Promise.resolve();
      let ran = 0;
      const send =
        (name: string) =>
        (...args: (string | number)[]) => {
          const run = previous.then(async () => {
            const reply = await runCommand(redis, name, args);
            replies.set(name, reply);
            if (++ran === 1) await onFirstReply();
            return reply;
          });
          previous = run;
          return run;
        };
      return { xrangeBuffer: send("xrangeBuffer"), hmget: send("hmget") } as unknown as Redis;
    },
    "a Cluster": (
      redis: Redis,
      onFirstReply: () => Promise<unknown>,
      replies: Map<string, unknown>,
    ) =>
      ({
        isCluster: true,
        pipeline: () => {
          const commands: [string, (string | number)[]][] = [];
          const queue =
            (name: string) =>
            (...args: (string | number)[]) => {
              commands.push([name, args]);
              return pipeline;
            };
          const pipeline = {
            xrangeBuffer: queue("xrangeBuffer"),
            hmget: queue("hmget"),
            exec: async () => {
              const results: [null, unknown][] = [];
              for (const [name, args] of commands) {
                const reply = await runCommand(redis, name, args);
                replies.set(name, reply);
                results.push([null, reply]);
                if (results.length === 1) await onFirstReply();
              }
              return results;
            },
          };
          return pipeline;
        },
      }) as unknown as Redis,
  };

  it.each(Object.keys(racingClients) as (keyof typeof racingClients)[])(
    "reads through the archive a page whose entries were trimmed after its XRANGE ran (%s)",
    async (client) => {
      // Given 10 events, and a client that runs the XRANGE, lets the archiver trim the oldest 6,
      // then runs the seam's HMGET
      const { redis } = keyspace;
      const store = keyspace.store();
      const log = await appendEvents(redis, store, 10);
      const archive = countingArchive(createInMemoryArchive());
      const replies = new Map<string, unknown>();
      const racing = racingClients[client](
        redis,
        () => archiveOldest(redis, store, archive, 6),
        replies,
      );

      // When the first page of 8 is read
      const page = await readPartitionAfter(racing, archive, store.keys, "account", 0, "0-0", 8);

      // Then the XRANGE ran first and saw the entries as they were, and the page is the first 8
      // events exactly: the 6 archived ones from the archive, then 2 from that XRANGE above the
      // seam
      expect((replies.get("xrangeBuffer") as unknown[]).length).toBe(8);
      expect(page.map(shape)).toEqual(log.slice(0, 8).map(shape));
      expect(archive.partitionReads).toBe(1);
    },
  );

  it("refuses with ArchiveRequiredError when archived entries are needed and no archive is given", async () => {
    // Given 10 events of which the oldest 4 are archived and trimmed
    const { redis } = keyspace;
    const store = keyspace.store();
    await appendEvents(redis, store, 10);
    await archiveOldest(redis, store, createInMemoryArchive(), 4);

    // When the partition is read from the start without an archive
    const reading = readPartitionAfter(redis, undefined, store.keys, "account", 0, "0-0", 100);

    // Then it is refused with the partition and how many entries are archived
    const error = await reading.catch((caught: unknown) => caught);
    expect(isArchiveRequiredError(error)).toBe(true);
    expect(error).toMatchObject({ streamName: "account/0", archived: 4 });
  });

  it("refuses to read on from the seam when the archive does not hold what Redis says it archived", async () => {
    // Given 10 events of which the oldest 4 were archived into one archive, and another (empty)
    // archive, and one that lost the last archived entry
    const { redis } = keyspace;
    const store = keyspace.store();
    await appendEvents(redis, store, 10);
    const archive = createInMemoryArchive();
    const seam = await archiveOldest(redis, store, archive, 4);
    const lossy = createInMemoryArchive();
    await lossy.write(archive.controls.entries().slice(0, 3));

    // When the partition is read from the start through each of them
    const fromEmpty = await readPartitionAfter(
      redis,
      createInMemoryArchive(),
      store.keys,
      "account",
      0,
      "0-0",
      100,
    ).catch((caught: unknown) => caught);
    const fromLossy = await readPartitionAfter(redis, lossy, store.keys, "account", 0, "0-0", 100)
      .then(() => "read")
      .catch((caught: unknown) => caught);

    // Then both reads are refused with CorruptEventError at the seam: continuing from the seam
    // would skip the archived entries without a word
    expect(isCorruptEventError(fromEmpty)).toBe(true);
    expect(fromEmpty).toMatchObject({ entryId: seam });
    expect(isCorruptEventError(fromLossy)).toBe(true);
    expect(fromLossy).toMatchObject({ entryId: seam });
  });
});
