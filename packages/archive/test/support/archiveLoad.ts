import {
  defineEvents,
  type EventArchive,
  type EventStore,
  getRedisEventStore,
  silentLogger,
} from "@streamstore/core";
import { Redis } from "ioredis";
import { z } from "zod";

/** The events of the archive's load and crash tests: ~100 B of JSON each. */
export const loadEvents = defineEvents({
  Noted: z.object({ writer: z.number(), n: z.number(), note: z.string() }),
});

/** What a writer appended and got back for one event: what `read()` must give back. */
export interface AppendedEvent {
  stream: string;
  category: string;
  partition: number;
  version: number;
  id: string;
  position: string;
  writer: number;
  n: number;
}

/**
 * Every event the writers appended, by stream, in version order once `sorted()` ran. Writers
 * share aggregates, so each stream's events arrive from several writers out of order.
 */
export class Ledger {
  readonly streams = new Map<string, AppendedEvent[]>();
  count = 0;

  add(event: AppendedEvent): void {
    let list = this.streams.get(event.stream);
    if (!list) {
      list = [];
      this.streams.set(event.stream, list);
    }
    list.push(event);
    this.count++;
  }

  /** Each stream's events by version (call once the writers stopped). */
  sorted(): Map<string, AppendedEvent[]> {
    for (const list of this.streams.values()) list.sort((a, b) => a.version - b.version);
    return this.streams;
  }

  /** Every event of one category partition, in log order. */
  partitionLog(category: string, partition: number): AppendedEvent[] {
    const events: AppendedEvent[] = [];
    for (const list of this.streams.values()) {
      for (const event of list) {
        if (event.category === category && event.partition === partition) events.push(event);
      }
    }
    return events.sort((a, b) => compareIds(a.position, b.position));
  }
}

/** Orders two stream ids as Redis does. */
export function compareIds(a: string, b: string): number {
  const [aMs, aSeq] = a.split("-").map(BigInt) as [bigint, bigint];
  const [bMs, bSeq] = b.split("-").map(BigInt) as [bigint, bigint];
  if (aMs !== bMs) return aMs < bMs ? -1 : 1;
  return aSeq === bSeq ? 0 : aSeq < bSeq ? -1 : 1;
}

/** A seeded generator (mulberry32), so a failing run can be replayed from its printed seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Options of {@link startWriters}. */
export interface WritersOptions {
  redisUrl: string;
  prefix: string;
  partitions: number;
  categories: readonly string[];
  aggregatesPerCategory: number;
  /** Concurrent writer loops, each on its own connection and store. */
  writers: number;
  /** Events to append in all (the last batch is cut to it); Infinity: until `stop()`. */
  total: number;
  seed: number;
  /** Each writer waits this long between its appends (pacing, not a wait for a condition). */
  pauseMs?: number;
  ledger: Ledger;
}

/** Running writers: `done` resolves once `total` events are appended (or after `stop()`). */
export interface Writers {
  readonly done: Promise<void>;
  /** Events appended so far. */
  appended(): number;
  /** Resolves once at least `count` events are appended. */
  reached(count: number): Promise<void>;
  /** The writers finish their current append and stop. */
  stop(): Promise<void>;
  /** Position of the newest event appended so far (Redis's clock at commit, in ms). */
  newestMs(): number;
}

/**
 * Starts `writers` loops appending batches of 1–3 events to random aggregates of random
 * categories (no expected version: writers share aggregates), each on its own Redis connection,
 * recording every event's version, id and position as the append returned them.
 *
 * @example
 * const writers = startWriters({ redisUrl, prefix, partitions: 4, categories: ["order"], aggregatesPerCategory: 100, writers: 4, total: 1000, seed: 1, ledger });
 * await writers.done;
 */
export function startWriters(options: WritersOptions): Writers {
  const random = seededRandom(options.seed);
  let claimed = 0;
  let appended = 0;
  let newestMs = 0;
  let stopped = false;
  const waiters: { count: number; resolve: () => void }[] = [];
  const clients: Redis[] = [];
  const loop = async (writer: number) => {
    const redis = new Redis(options.redisUrl);
    clients.push(redis);
    const store: EventStore<typeof loadEvents> = getRedisEventStore({
      redis,
      events: loadEvents,
      prefix: options.prefix,
      partitions: options.partitions,
      logger: silentLogger,
      serverCheck: "off",
    });
    let sequence = 0;
    try {
      while (!stopped && claimed < options.total) {
        const size = Math.min(1 + Math.floor(random() * 3), options.total - claimed);
        claimed += size;
        const category = options.categories[
          Math.floor(random() * options.categories.length)
        ] as string;
        const stream = `${category}-${Math.floor(random() * options.aggregatesPerCategory)}`;
        const batch = Array.from({ length: size }, () => {
          const n = sequence++;
          return {
            type: "Noted" as const,
            id: `w${writer}-${n}`,
            data: { writer, n, note: `event ${n} of writer ${writer} ${"x".repeat(40)}` },
          };
        });
        const result = await store.append(stream, batch);
        batch.forEach((event, k) => {
          const position = result.positions[k] as string;
          options.ledger.add({
            stream,
            category,
            partition: result.partition,
            version: result.firstVersion + k,
            id: event.id,
            position,
            writer,
            n: event.data.n,
          });
          newestMs = Math.max(newestMs, Number(position.slice(0, position.indexOf("-"))));
        });
        appended += size;
        for (const waiter of [...waiters]) {
          if (appended >= waiter.count) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve();
          }
        }
        if (options.pauseMs) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
      }
    } finally {
      redis.disconnect();
    }
  };
  const done = Promise.all(Array.from({ length: options.writers }, (_, writer) => loop(writer)))
    .then(() => {})
    .finally(() => {
      // Nothing more will come: wake any waiter (its own check then fails loudly).
      for (const waiter of waiters.splice(0)) waiter.resolve();
    });
  return {
    done,
    appended: () => appended,
    reached: (count) =>
      appended >= count
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiters.push({ count, resolve })),
    async stop() {
      stopped = true;
      await done;
    },
    newestMs: () => newestMs,
  };
}

/** Polls `condition` until it holds, or throws after `timeoutMs` naming `what`. */
export async function waitFor(
  what: string,
  condition: () => Promise<boolean> | boolean,
  { timeoutMs = 60_000, everyMs = 25 }: { timeoutMs?: number; everyMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export { redisTimeMs as redisNowMs, waitForRedisTimePast } from "@streamstore/testing/internal";

/**
 * Reads every stream of the ledger through `store` (forward, all versions, through the archive
 * where the index says so) and returns the streams whose events differ from what their writers
 * got back: version, id, position and payload, each event once, in order.
 */
export async function streamsDifferingFromLedger(
  store: EventStore<typeof loadEvents>,
  ledger: Ledger,
  { concurrency = 16 }: { concurrency?: number } = {},
): Promise<{ checked: number; events: number; differing: string[] }> {
  const streams = [...ledger.sorted().entries()];
  const differing: string[] = [];
  let events = 0;
  let next = 0;
  const worker = async () => {
    while (next < streams.length) {
      const [stream, expected] = streams[next++] as [string, AppendedEvent[]];
      const read: string[] = [];
      for await (const event of store.read(stream, { pageSize: 100 })) {
        read.push(
          `${event.version}|${event.id}|${event.position}|${event.data.writer}|${event.data.n}`,
        );
      }
      const wanted = expected.map(
        (event) => `${event.version}|${event.id}|${event.position}|${event.writer}|${event.n}`,
      );
      events += read.length;
      if (read.join("\n") !== wanted.join("\n")) differing.push(stream);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { checked: streams.length, events, differing };
}

/** Store options the tests share: the ledger's events, checks off (the suite's Redis is known). */
export function loadStore(
  redis: Redis,
  prefix: string,
  partitions: number,
  archive?: EventArchive,
): EventStore<typeof loadEvents> {
  return getRedisEventStore({
    redis,
    events: loadEvents,
    prefix,
    partitions,
    archive,
    logger: silentLogger,
    serverCheck: "off",
  });
}

/** `used_memory` of `INFO memory`, in bytes. */
export async function usedMemory(redis: Redis): Promise<number> {
  const match = /^used_memory:(\d+)/m.exec(await redis.info("memory"));
  if (!match) throw new Error("INFO memory has no used_memory");
  return Number(match[1]);
}
