import { randomBytes } from "node:crypto";
import { inspect } from "node:util";
import { Redis, type RedisOptions } from "ioredis";
import { describe, expect, inject, it } from "vitest";
import { createNormalizer, maskIdle } from "./createNormalizer.js";
import { createTargetClient, differentialTargetKind } from "./differentialTarget.js";

/** What a case gets besides its client. */
export interface DifferentialContext {
  /** The random prefix of this run; every key of the case starts with it. */
  readonly prefix: string;
  /** `prefix + name`: a key nobody else uses. */
  key(name: string): string;
  /**
   * A second client on the same data (`client.duplicate(options)`), closed after the case:
   * `{ protocol: 2 }` gives a RESP2 connection (ioredis 6 speaks RESP3 by default).
   */
  duplicate(options?: RedisOptions): Redis;
  /** Waits `ms` milliseconds (for cases about time itself: expiry, idle times). */
  sleep(ms: number): Promise<void>;
  /** A second client for a blocking read, connected and named after the run (see `untilBlocked`). */
  blockingReader(): Promise<Redis>;
  /**
   * Resolves once `count` of this case's `blockingReader`s are blocked on the server (CLIENT LIST
   * on Redis; on the fake, which serves this case alone, INFO `blocked_clients`); rejects after 5 s.
   */
  untilBlocked(count: number): Promise<void>;
  /** Settles to the value or to the error, so that a case can go on after an expected error. */
  attempt<Value>(promise: Promise<Value>): Promise<Value | Error>;
  /** A placeholder for a plausible idle time, `>= atLeastMs` (see `maskIdle`). */
  idle(value: unknown, atLeastMs?: number): unknown;
  /** XPENDING extended rows with their idle times masked (`[id, consumer, idle, deliveries]`). */
  pendingRows(rows: unknown, atLeastMs?: number): unknown;
}

/** One differential case: run once on real Redis and once on the fake, outcomes compared. */
export type DifferentialCase = (client: Redis, ctx: DifferentialContext) => Promise<unknown>;

/** Sentence → case. The sentence becomes the `it` title. */
export type DifferentialCases = Record<string, DifferentialCase>;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function randomPrefix(): string {
  return `diff:${randomBytes(6).toString("hex")}:`;
}

async function closeQuietly(client: Redis): Promise<void> {
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}

/** How many of the clients named `<name>…` are blocked, as the server reports it. */
async function blockedClients(client: Redis, name: string): Promise<number> {
  const list = await (client.call("CLIENT", "LIST") as Promise<string>).catch(() => undefined);
  if (list === undefined) {
    const info = await client.info("clients");
    return Number(/blocked_clients:(\d+)/.exec(info)?.[1] ?? 0);
  }
  return String(list)
    .split("\n")
    .filter((line) => line.includes(` name=${name}`) && /\sflags=\S*b/.test(line)).length;
}

async function deleteKeys(client: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await client.del(...keys);
  } while (cursor !== "0");
}

interface RunOutcome {
  /** The normalised outcome: `{ value }` or `{ thrown }`. */
  outcome: unknown;
  /** What the case threw, if it threw (errors a case expects go through `ctx.attempt`). */
  thrown?: unknown;
}

async function runCase(
  differentialCase: DifferentialCase,
  client: Redis,
  cleanup: Redis | undefined,
): Promise<RunOutcome> {
  const prefix = randomPrefix();
  const duplicates: Redis[] = [];
  const ctx: DifferentialContext = {
    prefix,
    key: (name) => `${prefix}${name}`,
    duplicate: (options) => {
      const duplicate = client.duplicate(options);
      duplicates.push(duplicate);
      return duplicate;
    },
    sleep,
    blockingReader: async () => {
      const reader = client.duplicate({ connectionName: `${prefix}reader` });
      duplicates.push(reader);
      await reader.ping();
      return reader;
    },
    untilBlocked: async (count) => {
      const deadline = Date.now() + 5_000;
      while ((await blockedClients(client, `${prefix}reader`)) < count) {
        if (Date.now() > deadline) throw new Error(`${count} blocked reader(s) not within 5 s`);
        await sleep(5);
      }
    },
    attempt: (promise) => promise.catch((error: unknown) => error as Error),
    idle: maskIdle,
    pendingRows: (rows, atLeastMs = 0) =>
      Array.isArray(rows)
        ? rows.map((row) =>
            Array.isArray(row) && row.length === 4
              ? [row[0], row[1], maskIdle(row[2], atLeastMs), row[3]]
              : row,
          )
        : rows,
  };
  let raw: { value: unknown } | { thrown: unknown };
  const fromMs = Date.now();
  try {
    raw = { value: await differentialCase(client, ctx) };
  } catch (error) {
    raw = { thrown: error };
  } finally {
    for (const duplicate of duplicates) await closeQuietly(duplicate);
    if (cleanup) await deleteKeys(cleanup, prefix);
  }
  const normalize = createNormalizer({ prefix, clock: { fromMs, toMs: Date.now() } });
  return "thrown" in raw
    ? { outcome: normalize(raw), thrown: raw.thrown }
    : { outcome: normalize(raw) };
}

const show = (value: unknown) => inspect(value, { depth: null, breakLength: 100 });

/**
 * Declares one `it` per case, each running the case on a fresh connection to the test Redis and on
 * a fresh `createFakeRedis()`, and failing with both normalised outcomes when they differ.
 *
 * @example
 * defineDifferentialSuite("XLEN", {
 *   "counts the entries of a stream": async (client, ctx) => {
 *     await client.xadd(ctx.key("s"), "*", "a", "1");
 *     return client.xlen(ctx.key("s"));
 *   },
 * });
 */
export function defineDifferentialSuite(aspect: string, cases: DifferentialCases): void {
  describe("createFakeRedis", () => {
    describe(`${aspect} (differential against Redis, target: ${differentialTargetKind})`, () => {
      for (const [sentence, differentialCase] of Object.entries(cases)) {
        it(sentence, async () => {
          const redisUrl = inject("redisUrl");
          const real = new Redis(redisUrl);
          const target = createTargetClient(redisUrl);
          try {
            const expected = await runCase(differentialCase, real, real);
            // Errors are compared only where the case asked for one (`ctx.attempt`): a case that
            // throws on Redis is broken, even if the fake throws the same error.
            if ("thrown" in expected) {
              throw new Error(
                `the case itself failed on Redis (wrap a command whose error is the expected outcome in ctx.attempt): ${show(expected.thrown)}`,
              );
            }
            const actual = await runCase(
              differentialCase,
              target,
              differentialTargetKind === "redis" ? target : undefined,
            );
            if (process.env.STREAMSTORE_DIFFERENTIAL_PRINT === "1") {
              console.log(`${aspect} / ${sentence}\n${show(expected.outcome)}`);
            }
            expect(
              actual.outcome,
              `fake differs from Redis\n--- redis:\n${show(expected.outcome)}\n--- fake:\n${show(actual.outcome)}\n`,
            ).toStrictEqual(expected.outcome);
          } finally {
            await closeQuietly(real);
            await closeQuietly(target);
          }
        });
      }
    });
  });
}
