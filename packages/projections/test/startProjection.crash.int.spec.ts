import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { getRedisEventStore, silentLogger } from "@streamstore/core";
import { until } from "@streamstore/testing/internal";
import { afterAll, describe, expect, inject, it } from "vitest";
import {
  createProjectionReader,
  getProjectionStatus,
  type ProjectionRunner,
  startProjection,
} from "../src/index.js";
import { deleteKeysUnder, randomPrefix, testBackends } from "./support/backends.js";
import {
  type AccountState,
  accountsProjection,
  bankEvents,
  readLogs,
  referenceFold,
} from "./support/fixtures.js";

const TSX = fileURLToPath(new URL("../../../node_modules/.bin/tsx", import.meta.url));
const WORKER = fileURLToPath(new URL("./fixtures/crashWorker.ts", import.meta.url));
const PARTITIONS = 4;
const ACCOUNTS = 2_000;
const TARGET_EVENTS = 100_000;
const KILLS = 20;

interface Killable {
  kill(signal: "SIGKILL"): void;
  /** Freezes the worker (SIGSTOP); processes only. */
  pause?(): void;
  resume?(): void;
  /** Processes only: the worker id it printed once started. */
  workerId?: () => string | undefined;
}

// Real Redis: worker processes killed with SIGKILL. The fake lives in one process, so there the
// workers are in-process runners "killed" by cutting their connection for good (they live on as
// zombies whose commits must be fenced off).
describe.each(testBackends())(
  "startProjection with workers killed abruptly on $name",
  (backend) => {
    const url = backend.url ?? inject("redisUrl");
    const prefix = randomPrefix();
    const redis = backend.connect();
    const children = new Set<ChildProcess>();
    const recoveries = new Map<string, number>();
    const zombies: ProjectionRunner<unknown>[] = [];

    const startInProcess = (): Killable => {
      const client = backend.connect();
      const runner = startProjection(accountsProjection(), {
        redis: client,
        prefix,
        batchSize: 200,
        heartbeatMs: 200,
        memberTtlMs: 800,
        leaseTtlMs: 1000,
        blockMs: 300,
        leaseMarginMs: 100,
        logger: silentLogger,
      });
      zombies.push(runner as ProjectionRunner<unknown>);
      return { kill: () => client.disconnect() };
    };

    const spawnWorker = (): Killable => {
      if (!backend.multiProcess) return startInProcess();
      const child = spawn(TSX, ["--conditions=@streamstore/source", WORKER], {
        env: {
          ...process.env,
          REDIS_URL: url,
          STREAMSTORE_PREFIX: prefix,
          STREAMSTORE_PARTITIONS: String(PARTITIONS),
        },
        stdio: ["ignore", "pipe", "inherit"],
        // tsx runs the worker in a child node process: signals go to the whole process group,
        // or a SIGKILL would only kill the tsx wrapper and orphan the worker.
        detached: true,
      });
      children.add(child);
      child.once("exit", () => children.delete(child));
      let workerId: string | undefined;
      child.stdout?.on("data", (chunk: Buffer) => {
        for (const line of chunk.toString().split("\n")) {
          if (line.startsWith("ready ")) workerId = line.slice("ready ".length);
          if (line.startsWith("recovery ")) {
            const kind = line.slice("recovery ".length);
            recoveries.set(kind, (recoveries.get(kind) ?? 0) + 1);
          }
        }
      });
      const signalGroup = (signal: NodeJS.Signals) => {
        try {
          process.kill(-(child.pid as number), signal);
        } catch {
          // Already gone.
        }
      };
      return {
        kill: signalGroup,
        pause: () => signalGroup("SIGSTOP"),
        resume: () => signalGroup("SIGCONT"),
        workerId: () => workerId,
      };
    };

    afterAll(async () => {
      for (const child of children) {
        try {
          process.kill(-(child.pid as number), "SIGKILL");
        } catch {
          // Already gone.
        }
      }
      await Promise.all(zombies.map((runner) => runner.stop()));
      await deleteKeysUnder(redis, prefix);
      await redis.quit();
    });

    it("ends with the read model of a clean replay after 20 kills during 100,000 appends", async () => {
      // Given 3 worker processes and a producer appending 100,000 events to 2,000 accounts
      const store = getRedisEventStore({
        redis,
        events: bankEvents,
        prefix,
        partitions: PARTITIONS,
        serverCheck: "off",
        logger: silentLogger,
      });
      const workers = [spawnWorker(), spawnWorker(), spawnWorker()];
      let appended = 0;
      let random = 12345;
      const next = () => {
        random = (random * 1103515245 + 12345) & 0x7fffffff;
        return random;
      };
      const started = performance.now();
      const producer = async () => {
        while (appended < TARGET_EVENTS) {
          // ~4,000 events/s: spread over the kill schedule
          const due = ((performance.now() - started) / 1000) * 4_000;
          if (appended > due) {
            await new Promise((resolve) => setTimeout(resolve, 5));
            continue;
          }
          const size = 1 + (next() % 5);
          const batch = Array.from({ length: Math.min(size, TARGET_EVENTS - appended) }, () => {
            const kind = next() % 3;
            return kind === 0
              ? { type: "Withdrawn" as const, data: { amount: next() % 50 } }
              : kind === 1
                ? { type: "Deposited" as const, data: { amount: next() % 100 } }
                : { type: "Noted" as const, data: { text: "n" } };
          });
          appended += batch.length;
          await store.append(`account-${next() % ACCOUNTS}`, batch);
        }
      };
      const producers = Promise.all(Array.from({ length: 4 }, producer));

      // When a random worker is killed with SIGKILL 20 times (and restarted each time), and on
      // real Redis every fourth round a worker holding a lease is frozen (SIGSTOP) past it and
      // then thawed: a zombie whose reads and commits must be fenced off
      const projection = accountsProjection();
      /** A worker that holds a partition's lease now, and those partitions (waits for one). */
      const leaseHolder = async () => {
        let found: { worker: Killable; fields: number[] } | undefined;
        await until(async () => {
          const owners = (await getProjectionStatus(projection, { redis, prefix })).partitions.map(
            (partition) => partition.owner,
          );
          for (const worker of workers) {
            const fields = owners.flatMap((owner, field) =>
              owner !== null && owner === worker.workerId?.() ? [field] : [],
            );
            if (fields.length > 0) found = { worker, fields };
          }
          return found !== undefined;
        }, "a worker process holding a partition's lease");
        return found as { worker: Killable; fields: number[] };
      };
      let kills = 0;
      let pauses = 0;
      let zombies = 0;
      while (kills < KILLS) {
        const frozen = kills % 4 === 3 && backend.multiProcess ? await leaseHolder() : undefined;
        const sleeper = frozen?.worker;
        const heldWhenFrozen = frozen?.fields ?? [];
        if (sleeper?.pause) {
          sleeper.pause();
          pauses++;
        }
        await new Promise((resolve) => setTimeout(resolve, 900 + (next() % 600)));
        // (never the frozen worker: it is to wake up as a zombie)
        let victim = next() % workers.length;
        if (workers[victim] === sleeper) victim = (victim + 1) % workers.length;
        workers[victim]?.kill("SIGKILL");
        kills++;
        workers[victim] = spawnWorker();
        if (sleeper) {
          // Frozen until every partition it held is owned by another worker (past its 1 s lease):
          // now a zombie, thawed
          await until(async () => {
            const owners = (
              await getProjectionStatus(projection, { redis, prefix })
            ).partitions.map((partition) => partition.owner);
            return heldWhenFrozen.every((field) => {
              const owner = owners[field];
              return owner !== null && owner !== undefined && owner !== sleeper.workerId?.();
            });
          }, "the frozen worker's partitions taken over by another worker");
          sleeper.resume?.();
          zombies++;
        }
      }
      await producers;
      const deadline = performance.now() + 90_000;
      for (;;) {
        const status = await getProjectionStatus(projection, { redis, prefix });
        if (
          status.partitions.length === PARTITIONS &&
          status.partitions.every((p) => p.lag === 0 && p.state === "live")
        )
          break;
        if (performance.now() > deadline)
          throw new Error(`not caught up: ${JSON.stringify(status)}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }

      // Then every document equals the reference fold of the logs, with each version applied once
      const entries = await readLogs(
        redis,
        Array.from({ length: PARTITIONS }, (_, p) => store.keys.log("account", p)),
      );
      expect(entries.length).toBe(TARGET_EVENTS);
      const expected = referenceFold(entries);
      const reader = createProjectionReader(projection, { redis, prefix });
      const keys = [...expected.keys()];
      const actual = (await reader.getMany(keys)) as AccountState[];
      let mismatches = 0;
      keys.forEach((key, index) => {
        if (JSON.stringify(actual[index]) !== JSON.stringify(expected.get(key))) mismatches++;
      });
      expect(mismatches).toBe(0);
      expect(actual.reduce((sum, state) => sum + state.count, 0)).toBe(TARGET_EVENTS);
      expect(actual.filter((state) => state.violations > 0)).toEqual([]);
      const status = await getProjectionStatus(projection, { redis, prefix });
      expect(status.deadLetters).toBe(0);
      // And on real Redis every frozen worker that was not killed afterwards was excluded
      if (backend.multiProcess) {
        expect(pauses).toBe(KILLS / 4);
        expect(zombies).toBe(pauses);
        // (the zombies noticed: a failed lease renewal or a commit refused for its fence token)
        const excluded =
          (recoveries.get("lost the lease") ?? 0) + (recoveries.get("fence token") ?? 0);
        expect(excluded).toBeGreaterThan(0);
      }
      console.log(
        `[crash] ${TARGET_EVENTS} events, ${kills} kills and ${pauses} freezes (${zombies} thawed as zombies after their partitions were taken over) (${backend.name}), caught up ${Math.round(performance.now() - started)} ms after start; pending ${status.partitions.map((p) => p.pending).join("/")}; recoveries seen: ${JSON.stringify(Object.fromEntries(recoveries))}`,
      );
    }, 180_000);
  },
);
