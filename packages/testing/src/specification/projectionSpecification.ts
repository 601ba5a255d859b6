import { AssertionError } from "node:assert";
import { inspect, isDeepStrictEqual } from "node:util";
import {
  type EventCatalog,
  type EventInputOf,
  type EventStore,
  getRedisEventStore,
  type Logger,
  type NewEvent,
  silentLogger,
} from "@streamstore/core";
import {
  type Projection,
  type ProjectionRunner,
  type ProjectionRunnerOptions,
  type ReadModelStore,
  startProjection,
} from "@streamstore/projections";
import { projectionKeys } from "@streamstore/projections/internal";
import type { Redis } from "ioredis";
import { createFakeRedis } from "../createFakeRedis.js";
import type { FakeRedis } from "../fake/index.js";

/**
 * One given event: the stream it is appended to, its type and payload (optionally its id and
 * metadata, as `EventStore.append` takes them).
 *
 * @example
 * const given: ProjectionGivenEvent<typeof events> = {
 *   streamName: "account-1", type: "Deposited", data: { amount: 10 },
 * };
 */
export type ProjectionGivenEvent<Catalog extends EventCatalog = EventCatalog> = NewEvent<
  EventInputOf<Catalog>
> & { streamName: string };

/**
 * Puts events on one stream: a shorthand for given events that share a `streamName`.
 *
 * @example
 * givenEvents(...onStream("account-1", { type: "Deposited", data: { amount: 10 } }));
 */
export function onStream<const EventType extends NewEvent>(
  streamName: string,
  ...events: readonly EventType[]
): (EventType & { streamName: string })[] {
  return events.map((event) => ({ ...event, streamName }));
}

/**
 * Options of {@link projectionSpecification}.
 *
 * @example
 * projectionSpecification(balances, { partitions: 4, timeoutMs: 5000 });
 */
export interface ProjectionSpecificationOptions {
  /** Partitions per category of the event store the events are appended with (default 1). */
  partitions?: number;
  /** Key prefix of the event store and the read model (default `"spec"`). */
  prefix?: string;
  /** How long each wait (catch-up, re-delivery) may take before the specification fails, ms (default 10,000). */
  timeoutMs?: number;
  /**
   * Runner options over the specification's fast defaults (short blocks, heartbeats and
   * retry backoffs; a silent logger).
   */
  runner?: Omit<ProjectionRunnerOptions, "redis" | "store" | "signal" | "readModel">;
  /**
   * Builds the read-model store of each runner the specification starts (one for the first run,
   * one for the re-delivery run). Default: the runner's own Redis store.
   */
  readModel?: (context: { redis: Redis; prefix: string; name: string }) => ReadModelStore;
}

/**
 * What a passed specification observed.
 *
 * @example
 * const { redeliveredEntries } = await given(...events).thenReadModel("account-1", { balance: 7 });
 */
export interface ProjectionSpecificationReport {
  /** Every document of the build after the events, by read-model key. */
  readModels: Record<string, unknown>;
  /**
   * Log entries the runners were handed a second time (once by a reset consumer group, once by
   * claiming a dead consumer's pending entries) and acknowledged without changing the read model.
   */
  redeliveredEntries: number;
}

/**
 * The `then…` half of a projection specification. Each call runs the whole scenario on a new
 * in-memory Redis.
 *
 * @example
 * await given(...events).thenReadModels({ "account-1": { balance: 7 }, "account-2": { balance: 1 } });
 */
export interface ProjectionThen<StateType> {
  /** The document of `key` equals `expected` (deep, strict), before and after re-delivery. */
  thenReadModel(key: string, expected: StateType): Promise<ProjectionSpecificationReport>;
  /** Each listed document equals its expectation (other documents are not checked). */
  thenReadModels(expected: Record<string, StateType>): Promise<ProjectionSpecificationReport>;
  /** No document exists for `key`. */
  thenNoReadModel(key: string): Promise<ProjectionSpecificationReport>;
}

/**
 * The `given` of a projection specification: events in append order (arrays are flattened).
 *
 * @example
 * const given: ProjectionGiven<typeof events, { balance: number }> = projectionSpecification(balances);
 */
export interface ProjectionGiven<Catalog extends EventCatalog, StateType> {
  givenEvents(
    ...events: (ProjectionGivenEvent<Catalog> | readonly ProjectionGivenEvent<Catalog>[])[]
  ): ProjectionThen<StateType>;
}

const show = (value: unknown) => inspect(value, { depth: 8, breakLength: 100, sorted: true });

const fail = (message: string, actual: unknown, expected: unknown): never => {
  throw new AssertionError({ message, actual, expected, operator: "deepStrictEqual" });
};

// Fast enough that a specification takes milliseconds, with the runner's own invariant
// (leaseTtlMs > blockMs + leaseMarginMs + heartbeatMs) kept.
const SPECIFICATION_RUNNER_DEFAULTS = {
  blockMs: 20,
  heartbeatMs: 20,
  leaseMarginMs: 50,
  leaseTtlMs: 1000,
  memberTtlMs: 1000,
  retryBackoffMs: 1,
  retryBackoffMaxMs: 5,
  reconnectDelayMs: 10,
  activeBuildCacheMs: 0,
} as const satisfies Partial<ProjectionRunnerOptions>;

type Expectation =
  | { kind: "equal"; expected: Record<string, unknown> }
  | { kind: "absent"; key: string };

interface GroupInfo {
  pending: number;
  lastDelivered: string;
}

async function groupInfo(redis: Redis, logKey: string, group: string): Promise<GroupInfo> {
  const groups = (await redis.xinfo("GROUPS", logKey)) as unknown[][];
  for (const fields of groups) {
    const map = new Map<string, unknown>();
    for (let i = 0; i + 1 < fields.length; i += 2) map.set(String(fields[i]), fields[i + 1]);
    if (map.get("name") === group) {
      return {
        pending: Number(map.get("pending")),
        lastDelivered: String(map.get("last-delivered-id")),
      };
    }
  }
  return { pending: -1, lastDelivered: "" };
}

async function until(
  what: string,
  timeoutMs: number,
  runner: ProjectionRunner<unknown>,
  condition: () => Promise<boolean>,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (runner.state === "failed") await runner.done;
    if (await condition()) return;
    if (performance.now() > deadline) {
      throw new Error(
        `[streamstore] projectionSpecification: ${what} did not happen within ${timeoutMs} ms; raise the "timeoutMs" option if the projection is slow.`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Every document of a build, by read-model key (states only: revisions are bookkeeping). */
async function readAllDocuments(
  redis: Redis,
  runner: ProjectionRunner<unknown>,
  docPrefix: string,
): Promise<Record<string, unknown>> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, found] = await redis.scan(cursor, "MATCH", `${docPrefix}*`, "COUNT", 1000);
    cursor = next;
    keys.push(...found);
  } while (cursor !== "0");
  const readModelKeys = keys.map((key) => key.slice(docPrefix.length)).sort();
  const states = await runner.getMany(readModelKeys);
  const result: Record<string, unknown> = {};
  readModelKeys.forEach((key, index) => {
    result[key] = states[index];
  });
  return result;
}

/**
 * Given/when/then for projections, through the real machinery: the given events are appended
 * with a core event store to a new in-memory Redis ({@link createFakeRedis}), `startProjection`
 * runs on it until caught up, and the documents are read with the runner's `get`. Then every log
 * entry is delivered again — the consumer group is reset to `0` under the live runner, and a
 * second runner claims them from a "crashed" consumer's pending list — and the read model must
 * not change: the specification fails if the projection's effect is not exactly once.
 * Failures are `AssertionError`s carrying `expected` and `actual`, so test runners show a diff.
 *
 * @example
 * const given = projectionSpecification(balances);
 * await given
 *   .givenEvents(
 *     { streamName: "account-1", type: "Deposited", data: { amount: 10 } },
 *     { streamName: "account-1", type: "Withdrawn", data: { amount: 3 } },
 *   )
 *   .thenReadModel("account-1", { balance: 7 });
 * await given.givenEvents().thenNoReadModel("account-1");
 */
export function projectionSpecification<Catalog extends EventCatalog, StateType>(
  projection: Projection<Catalog, StateType>,
  options: ProjectionSpecificationOptions = {},
): ProjectionGiven<Catalog, StateType> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const prefix = options.prefix ?? "spec";
  const logger: Logger = options.runner?.logger ?? silentLogger;

  const scenario = async (
    events: readonly ProjectionGivenEvent<Catalog>[],
    expectation: Expectation,
  ): Promise<ProjectionSpecificationReport> => {
    const redis: FakeRedis = createFakeRedis();
    const runners: ProjectionRunner<StateType>[] = [];
    const start = (workerId: string): ProjectionRunner<StateType> => {
      const runner = startProjection(projection, {
        ...SPECIFICATION_RUNNER_DEFAULTS,
        ...options.runner,
        logger,
        workerId,
        redis,
        store,
        readModel: options.readModel?.({ redis, prefix, name: projection.name }),
      });
      // A failed runner is reported where it is awaited (`until`), not as an unhandled rejection.
      runner.done.catch(() => {});
      runners.push(runner);
      return runner;
    };
    const store: EventStore<Catalog> = getRedisEventStore({
      redis,
      events: projection.catalog,
      prefix,
      partitions: options.partitions ?? 1,
      serverCheck: "off",
      logger,
    });
    try {
      // Given: appended one by one, so the logs keep the order the events were listed in.
      for (const { streamName, ...event } of events) {
        await store.append(streamName, [event as unknown as NewEvent<EventInputOf<Catalog>>]);
      }
      const logs: string[] = [];
      for (const category of projection.source) {
        const count = await store.partitionsOf(category);
        for (let partition = 0; partition < count; partition++) {
          logs.push(store.keys.log(category, partition));
        }
      }
      const lastIds = new Map<string, string>();
      for (const log of logs) {
        const [last] = (await redis.xrevrange(log, "+", "-", "COUNT", 1)) as [string, string[]][];
        if (last) lastIds.set(log, last[0]);
      }

      // When: the runner catches up.
      const first = start("spec-worker-1");
      await Promise.race([
        first.waitUntilCaughtUp(undefined, { timeoutMs }),
        first.done.then(() => {
          throw new Error("[streamstore] projectionSpecification: the runner stopped early.");
        }),
      ]);
      const group = projectionKeys(prefix, projection.name).group(first.build);
      const docPrefix = projectionKeys(prefix, projection.name).doc(first.build, "");

      // Then: the documents are as expected.
      const before = await readAllDocuments(redis, first, docPrefix);
      if (expectation.kind === "equal") {
        const actual: Record<string, unknown> = {};
        for (const key of Object.keys(expectation.expected)) actual[key] = await first.get(key);
        for (const [key, expected] of Object.entries(expectation.expected)) {
          if (!isDeepStrictEqual(actual[key], expected)) {
            fail(
              `read model "${key}" of projection "${projection.name}" is not as expected:\nexpected ${show(expected)}\nactual   ${show(actual[key])}`,
              Object.keys(expectation.expected).length === 1 ? actual[key] : actual,
              Object.keys(expectation.expected).length === 1 ? expected : expectation.expected,
            );
          }
        }
      } else {
        const actual = await first.get(expectation.key);
        if (actual !== undefined) {
          fail(
            `expected no read model "${expectation.key}" in projection "${projection.name}", found ${show(actual)}`,
            actual,
            undefined,
          );
        }
      }

      // And the same entries delivered again change nothing. 1: the group is reset under the
      // live runner, whose XREADGROUP then hands it every entry again (redelivery after a
      // zombie's read, an operator's SETID).
      // Only once the runner tails (after its own SETID to the checkpoint) is a reset ours to see.
      await until("taking every partition", timeoutMs, first, async () => {
        const owned = first.ownedPartitions();
        return owned.length === logs.length && owned.every(({ state }) => state === "live");
      });
      let redeliveredEntries = 0;
      for (const [log, lastId] of lastIds) {
        await redis.xgroup("SETID", log, group, "0");
        redeliveredEntries += await redis.xlen(log);
        await until(`re-delivery of ${log}`, timeoutMs, first, async () => {
          const info = await groupInfo(redis, log, group);
          return info.lastDelivered === lastId && info.pending === 0;
        });
      }
      // 2: a consumer takes every entry and dies before acking; a new runner must claim them.
      await first.stop();
      for (const log of lastIds.keys()) {
        await redis.xgroup("SETID", log, group, "0");
        await redis.xreadgroup("GROUP", group, "spec-crashed-worker", "STREAMS", log, ">");
        redeliveredEntries += await redis.xlen(log);
      }
      const second = start("spec-worker-2");
      await second.waitUntilCaughtUp(undefined, { timeoutMs });
      for (const log of lastIds.keys()) {
        await until(`the claim of ${log}'s pending entries`, timeoutMs, second, async () => {
          return (await groupInfo(redis, log, group)).pending === 0;
        });
      }
      const after = await readAllDocuments(redis, second, docPrefix);
      for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
        if (!isDeepStrictEqual(after[key], before[key])) {
          fail(
            `re-delivering the same ${redeliveredEntries} log entries changed read model "${key}" of projection "${projection.name}": its effect is not exactly once.\nbefore ${show(before[key])}\nafter  ${show(after[key])}`,
            after[key],
            before[key],
          );
        }
      }
      return { readModels: before, redeliveredEntries };
    } finally {
      await Promise.allSettled(runners.map((runner) => runner.stop()));
      await redis.quit().catch(() => redis.disconnect());
    }
  };

  return {
    givenEvents(...given) {
      const events = given.flat() as ProjectionGivenEvent<Catalog>[];
      return {
        thenReadModel: (key, expected) =>
          scenario(events, { kind: "equal", expected: { [key]: expected } }),
        thenReadModels: (expected) => scenario(events, { kind: "equal", expected }),
        thenNoReadModel: (key) => scenario(events, { kind: "absent", key }),
      };
    },
  };
}
