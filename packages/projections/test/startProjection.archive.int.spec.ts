import { startArchiver } from "@streamstore/archive";
import type { EventArchive } from "@streamstore/core";
import { compareStreamIds, type KeyLayout } from "@streamstore/core/internal";
import { createInMemoryArchive, recordingLogger } from "@streamstore/testing";
import { describe, expect, it } from "vitest";
import {
  createProjectionReader,
  getProjectionStatus,
  type ProjectionRunner,
  startProjection,
} from "../src/index.js";
import {
  AppendRecord,
  countingArchive,
  type Ledger,
  ledgerProjection,
  until,
  untilRedisTimePast,
} from "./support/archiveFixtures.js";
import { testBackends } from "./support/backends.js";
import { FAST_RUNNER_OPTIONS } from "./support/fixtures.js";
import { useTestKeyspace } from "./support/useTestKeyspace.js";

/** The archiver's smallest minimum age: events younger than this stay in Redis whatever the policy. */
const MIN_AGE_MS = 1000;
const PARTITIONS = [0, 1];

describe.each(testBackends())("startProjection reading archived history on $name", (backend) => {
  const keyspace = useTestKeyspace(backend);
  const { runners } = keyspace;

  /** Reads every ledger the fold has, and compares each with it. */
  async function expectLedgersEqualFold(
    reader: { getMany(keys: readonly string[]): Promise<(Ledger | undefined)[]> },
    expected: Map<string, Ledger>,
  ): Promise<void> {
    const keys = [...expected.keys()];
    const actual = await reader.getMany(keys);
    keys.forEach((key, index) => {
      expect(actual[index], key).toEqual(expected.get(key));
    });
  }

  /** The archive seam of each source partition (undefined: nothing archived there). */
  function seams(keys: KeyLayout): Promise<(string | undefined)[]> {
    return Promise.all(
      PARTITIONS.map(
        async (p) =>
          (await keyspace.redis.hget(keys.archived("account", p), "position")) ?? undefined,
      ),
    );
  }

  /**
   * Runs an archiver until everything the policy lets go is archived: waits for Redis's clock to
   * pass the newest append plus the minimum age, then for an idle pass, then stops it.
   */
  async function archiveAll(
    archive: EventArchive,
    record: AppendRecord,
    options: { keepEvents: number; respectConsumerGroups?: boolean },
  ): Promise<void> {
    const { redis, prefix } = keyspace;
    const archiver = startArchiver({
      redis,
      archive,
      prefix,
      policies: { account: { keepEvents: options.keepEvents } },
      minAgeMs: MIN_AGE_MS,
      respectConsumerGroups: options.respectConsumerGroups ?? true,
      batchSize: 500,
      idleMs: 50,
    });
    runners.push(archiver);
    await untilRedisTimePast(redis, record.newestMs + MIN_AGE_MS);
    await archiver.waitUntilIdle({ timeoutMs: 30_000 });
    await archiver.stop();
  }

  it("rebuilds a new version from scratch through the archive after the whole category was archived, and readers switch only to the complete build", async () => {
    // Given v1 of a projection caught up on 3,000 events of 150 accounts in 2 partitions, and
    // then every one of them archived and trimmed from Redis
    const { redis, prefix } = keyspace;
    const store = keyspace.store({ partitions: 2 });
    const archive = createInMemoryArchive();
    const record = new AppendRecord();
    await record.append(store, 150, 10);
    const v1 = startProjection(ledgerProjection(1), {
      redis,
      store,
      archive,
      ...FAST_RUNNER_OPTIONS,
    });
    runners.push(v1);
    await v1.waitUntilCaughtUp(undefined, { timeoutMs: 30_000 });
    await archiveAll(archive, record, { keepEvents: 0 });
    expect(
      await Promise.all(PARTITIONS.map((p) => redis.xlen(store.keys.log("account", p)))),
    ).toEqual([0, 0]);
    expect(archive.controls.entries().length).toBe(3000);

    // When v2 starts from scratch with the archive, while a reader keeps reading every ledger
    const v1Fold = record.fold(1);
    const v2Fold = record.fold(2);
    const keys = [...v1Fold.keys()];
    const reader = createProjectionReader(ledgerProjection(2), {
      redis,
      prefix,
      activeBuildCacheMs: 20,
    });
    const partialReads: string[] = [];
    let reading = true;
    let v2Reads = 0;
    const poller = (async () => {
      while (reading) {
        const documents = (await reader.getMany(keys)) as (Ledger | undefined)[];
        documents.forEach((document, index) => {
          const key = keys[index] as string;
          const expected = (document?.build === 2 ? v2Fold : v1Fold).get(key);
          if (document?.build === 2) v2Reads++;
          if (JSON.stringify(document) !== JSON.stringify(expected)) partialReads.push(key);
        });
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    const v2 = startProjection(ledgerProjection(2), {
      redis,
      store,
      archive,
      batchSize: 100,
      rebuildGraceMs: 500,
      ...FAST_RUNNER_OPTIONS,
    });
    runners.push(v2);
    await until(async () => (await reader.activeBuild()) === "v2", "readers to switch to v2");
    await v1.done;
    await until(() => v2Reads > 0, "a reader to read v2");
    reading = false;
    await poller;

    // Then no reader ever saw a partial ledger (v1 served until v2 had every archived event), and
    // v2's ledgers equal the fold of every appended event, each applied once and in order
    expect(partialReads).toEqual([]);
    await v2.waitUntilCaughtUp(undefined, { timeoutMs: 30_000 });
    await expectLedgersEqualFold(v2 as ProjectionRunner<Ledger>, v2Fold);
  }, 90_000);

  it("catches up through the archive when restarted behind the hot window, applying each event once, then tails the log", async () => {
    // Given a projection that applied 1,500 events and stopped, 1,500 more appended, and an
    // archiver that ignores consumer groups leaving 25 events per partition hot
    const { redis, prefix } = keyspace;
    const store = keyspace.store({ partitions: 2 });
    const archive = createInMemoryArchive();
    const record = new AppendRecord();
    await record.append(store, 150, 5);
    const first = startProjection(ledgerProjection(), {
      redis,
      store,
      archive,
      ...FAST_RUNNER_OPTIONS,
    });
    runners.push(first);
    await first.waitUntilCaughtUp(undefined, { timeoutMs: 30_000 });
    await first.stop();
    await record.append(store, 150, 5);
    await archiveAll(archive, record, { keepEvents: 25, respectConsumerGroups: false });
    const stopped = await getProjectionStatus(ledgerProjection(), { redis, prefix });
    const seamsNow = await seams(store.keys);
    for (const p of PARTITIONS) {
      const checkpoint = stopped.partitions[p]?.checkpoint as string;
      expect(compareStreamIds(seamsNow[p] as string, checkpoint)).toBeGreaterThan(0);
      expect(await redis.xlen(store.keys.log("account", p))).toBe(25);
    }

    // When the projection restarts with the archive
    const reads = countingArchive(archive);
    const restarted = startProjection(ledgerProjection(), {
      redis,
      store,
      archive: reads,
      batchSize: 100,
      ...FAST_RUNNER_OPTIONS,
    });
    runners.push(restarted);
    await restarted.waitUntilCaughtUp(undefined, { timeoutMs: 30_000 });

    // Then it read the gap from the archive, and its ledgers equal the fold, each event applied once
    expect(reads.partitionReads).toBeGreaterThan(0);
    await expectLedgersEqualFold(restarted, record.fold(1));

    // And events appended now reach it through its consumer group
    await record.append(store, 20, 1);
    await restarted.waitUntilCaughtUp(undefined, { timeoutMs: 30_000 });
    await until(
      () => restarted.ownedPartitions().every((owned) => owned.state === "live"),
      "every partition to be live",
    );
    await expectLedgersEqualFold(restarted, record.fold(1));
  }, 90_000);

  it("applies each event once while the archiver moves the seam during the catch-up", async () => {
    // Given 3,000 events older than the archiver's minimum age, an archiver that ignores consumer
    // groups and may take each step only after the projection committed another batch (so the
    // seam moves all along the catch-up, ahead of the projection and past its pages)
    const { redis, prefix } = keyspace;
    const store = keyspace.store({ partitions: 2 });
    const archive = createInMemoryArchive();
    const record = new AppendRecord();
    await record.append(store, 150, 10);
    await untilRedisTimePast(redis, record.newestMs + MIN_AGE_MS);
    let commits = 0;
    let caughtUp = false;
    let commitsAtLastStep = 0;
    let stepsDuringCatchUp = 0;
    const waiters: (() => void)[] = [];
    const wakeArchiver = () => {
      for (const wake of waiters.splice(0)) wake();
    };
    const gated = Object.assign(Object.create(archive) as EventArchive, {
      async write(entries: Parameters<EventArchive["write"]>[0]) {
        while (commits <= commitsAtLastStep && !caughtUp) {
          await new Promise<void>((resolve) => waiters.push(resolve));
        }
        commitsAtLastStep = commits;
        if (!caughtUp) stepsDuringCatchUp++;
        await archive.write(entries);
      },
    });
    const archiver = startArchiver({
      redis,
      archive: gated,
      prefix,
      policies: { account: { keepEvents: 25 } },
      minAgeMs: MIN_AGE_MS,
      respectConsumerGroups: false,
      batchSize: 50,
      idleMs: 20,
    });
    runners.push(archiver);

    // When a projection builds from scratch with the archive, in small batches
    const reads = countingArchive(archive);
    const runner = startProjection(ledgerProjection(), {
      redis,
      store,
      archive: reads,
      batchSize: 10,
      onCommit: () => {
        commits++;
        wakeArchiver();
      },
      ...FAST_RUNNER_OPTIONS,
    });
    runners.push(runner);
    await runner.waitUntilCaughtUp(undefined, { timeoutMs: 60_000 });
    caughtUp = true;
    wakeArchiver();
    await archiver.waitUntilIdle({ timeoutMs: 30_000 });

    // Then the seam moved many times during the catch-up, the projection read through the
    // archive, and its ledgers equal the fold with every event applied once and in order
    expect(stepsDuringCatchUp).toBeGreaterThanOrEqual(10);
    expect(reads.partitionReads).toBeGreaterThan(0);
    expect(
      await Promise.all(PARTITIONS.map((p) => redis.xlen(store.keys.log("account", p)))),
    ).toEqual([25, 25]);
    await runner.waitUntilCaughtUp(undefined, { timeoutMs: 30_000 });
    await expectLedgersEqualFold(runner, record.fold(1));
  }, 90_000);

  it("without an archive, reports ArchiveRequiredError and applies nothing of a partition whose history is archived", async () => {
    // Given 600 events of which all but 25 per partition are archived and trimmed
    const { redis } = keyspace;
    const store = keyspace.store({ partitions: 2 });
    const archive = createInMemoryArchive();
    const record = new AppendRecord();
    await record.append(store, 60, 5);
    await archiveAll(archive, record, { keepEvents: 25 });

    // When a projection starts without an archive
    const logger = recordingLogger();
    let commits = 0;
    const blind = startProjection(ledgerProjection(), {
      redis,
      store,
      ...FAST_RUNNER_OPTIONS,
      logger,
      onCommit: () => {
        commits++;
      },
    });
    runners.push(blind);
    const reported = (partition: number) =>
      logger.records.some(
        (entry) =>
          entry.level === "warn" &&
          entry.fields.partition === `account:${partition}` &&
          String(entry.fields.error).startsWith("ArchiveRequiredError:"),
      );
    await until(() => PARTITIONS.every(reported), "ArchiveRequiredError on both partitions");

    // Then it committed nothing (not even the hot events, which would come out of order), and
    // its status shows both partitions catching up from the start
    const status = await blind.status();
    expect(commits).toBe(0);
    expect(status.partitions.map((p) => [p.state, p.checkpoint, p.applied])).toEqual([
      ["catching-up", "0-0", 0],
      ["catching-up", "0-0", 0],
    ]);
    expect(await blind.getMany([...record.fold(1).keys()])).toEqual(
      [...record.fold(1).keys()].map(() => undefined),
    );

    // And once restarted with the archive, it applies everything once and in order
    await blind.stop();
    const restarted = startProjection(ledgerProjection(), {
      redis,
      store,
      archive,
      ...FAST_RUNNER_OPTIONS,
    });
    runners.push(restarted);
    await restarted.waitUntilCaughtUp(undefined, { timeoutMs: 30_000 });
    await expectLedgersEqualFold(restarted, record.fold(1));
  }, 90_000);
});
