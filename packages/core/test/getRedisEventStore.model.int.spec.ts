import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { z } from "zod";
import {
  ConcurrencyError,
  defineEvents,
  type EventStore,
  getRedisEventStore,
  IdempotencyConflictError,
  isStreamstoreError,
  silentLogger,
} from "../src/index.js";

// Model-based test of the append contract (issue 8, "hostile input"): random short sequences of
// appends — valid and invalid stream names, payloads and expected versions, repeated event ids,
// retries of earlier batches, and groups of concurrent writers on separate connections — run on
// real Redis and on a plain in-memory model of the contract. Every reply (result or error code,
// with the actual version of a conflict) and the final state (versions, events per stream, the
// category logs) must agree. A concurrent group is accepted when some serial order of it makes
// the model give exactly the replies Redis gave (and writes the log in Redis's position order).

const SEQUENCES = 1_000;
const WRITERS = 3;

const events = defineEvents({
  Deposited: z.object({ amount: z.number().int().nonnegative() }),
  Noted: z.object({ text: z.string() }),
});

const VALID_STREAMS = ["acct-1", "acct-2", "acct-a:b-c", "note-1"] as const;
const INVALID_STREAMS = ["acct", "acct-{1}", "", "acct-1\n", "-1", "1acct-2", "acct-}"] as const;
const CATEGORIES = ["acct", "note"] as const;
const EVENT_IDS = ["e1", "e2", "e3", undefined, undefined] as const;
const EXPECTED = ["any", "any", "no_stream", "stream_exists", 0, 1, 2, 3, 4] as const;
const INVALID_EXPECTED = [-1, 1.5, "latest", Number.NaN, null] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface RequestedEvent {
  type: string;
  data: unknown;
  id?: string;
}

interface AppendRequest {
  stream: string;
  events: RequestedEvent[];
  expected: unknown;
}

type Step = { kind: "group"; requests: AppendRequest[] } | { kind: "retry"; of: number };

type Outcome =
  | { kind: "ok" | "dup"; next: number; first: number; positions: string[] }
  | { kind: "error"; code: string; detail?: unknown };

interface ModelEvent {
  /** "auto" for an id the store generated (a UUID, unique by construction). */
  id: string;
  type: string;
  data: string;
  position: string;
}

interface ModelLogEntry {
  a: string;
  v: number;
  i: string;
  t: string;
  d: string;
  position: string;
}

interface Model {
  streams: Record<string, ModelEvent[]>;
  logs: Record<string, ModelLogEntry[]>;
}

// Mostly valid input (so that streams fill up and idempotency and conflicts happen), with each
// kind of invalid input now and then.
const rarely = <Value>(common: fc.Arbitrary<Value>, rare: fc.Arbitrary<Value>) =>
  fc.oneof({ weight: 12, arbitrary: common }, { weight: 1, arbitrary: rare });

const eventArbitrary: fc.Arbitrary<RequestedEvent> = fc
  .record({
    type: rarely(fc.constantFrom("Deposited", "Deposited", "Noted"), fc.constant("Teleported")),
    good: rarely(fc.constant(true), fc.constant(false)),
    amount: fc.constantFrom(1, 2),
    id: rarely(fc.constantFrom(...EVENT_IDS), fc.constantFrom("", "bad\u0001id")),
  })
  .map(({ type, good, amount, id }) => {
    const data =
      type === "Noted"
        ? good
          ? { text: `t${amount}` }
          : { text: amount }
        : { amount: good ? amount : -amount };
    return id === undefined ? { type, data } : { type, data, id };
  });

const requestArbitrary: fc.Arbitrary<AppendRequest> = fc.record({
  stream: rarely(fc.constantFrom(...VALID_STREAMS), fc.constantFrom(...INVALID_STREAMS)),
  events: fc.array(eventArbitrary, { minLength: 1, maxLength: 3 }),
  expected: rarely(fc.constantFrom(...EXPECTED), fc.constantFrom(...INVALID_EXPECTED)),
});

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: requestArbitrary.map((request) => ({ kind: "group" as const, requests: [request] })),
  },
  {
    weight: 1,
    arbitrary: fc
      .array(requestArbitrary, { minLength: 2, maxLength: WRITERS })
      .map((requests) => ({ kind: "group" as const, requests })),
  },
  { weight: 3, arbitrary: fc.nat(20).map((of) => ({ kind: "retry" as const, of })) },
);

// ---------------------------------------------------------------------------------------------
// The model: the contract of EventStore.append, written from docs and the contract suite.

function categoryOf(stream: string): string {
  return stream.slice(0, stream.indexOf("-"));
}

function validate(request: AppendRequest): Outcome | undefined {
  if (!(VALID_STREAMS as readonly string[]).includes(request.stream))
    return { kind: "error", code: "INVALID_STREAM_NAME" };
  // null and undefined both mean the default, "any" (the store reads the option with ??).
  const expected = request.expected ?? "any";
  const expectedOk =
    expected === "any" ||
    expected === "no_stream" ||
    expected === "stream_exists" ||
    (typeof expected === "number" && Number.isSafeInteger(expected) && expected >= 0);
  if (!expectedOk) return { kind: "error", code: "INVALID_ARGUMENT" };
  const seen = new Set<string>();
  for (const event of request.events) {
    if (event.type !== "Deposited" && event.type !== "Noted")
      return { kind: "error", code: "UNKNOWN_EVENT_TYPE" };
    const schema = events.get(event.type)?.schema;
    if (!schema?.safeParse(event.data).success) return { kind: "error", code: "INVALID_EVENT" };
    if (event.id === "" || event.id?.includes("\u0001"))
      return { kind: "error", code: "INVALID_ARGUMENT" };
    if (event.id !== undefined) {
      if (seen.has(event.id)) return { kind: "error", code: "INVALID_ARGUMENT" };
      seen.add(event.id);
    }
  }
  return undefined;
}

/** Applies one append to the model; `positions` are Redis's for a write (the model cannot guess them). */
function applyToModel(
  model: Model,
  request: AppendRequest,
  positions: readonly string[] | undefined,
): Outcome {
  const invalid = validate(request);
  if (invalid) return invalid;
  const stored = model.streams[request.stream] ?? [];
  model.streams[request.stream] = stored;
  const current = stored.length;
  const exists = current > 0;
  const ids = request.events.map((event) => event.id ?? "auto");
  const n = ids.length;
  const kind = typeof request.expected === "number" ? "exact" : String(request.expected ?? "any");
  let candidates: ModelEvent[] | undefined;
  if (kind === "exact" || kind === "no_stream") {
    const base = kind === "exact" ? (request.expected as number) : 0;
    if (current > base) candidates = stored.slice(base, base + n);
  } else if (exists) {
    const lastId = stored[current - 1]?.id;
    const k = ids.findIndex((id) => id !== "auto" && id === lastId);
    if (k >= 0) {
      if (k !== n - 1) return { kind: "error", code: "IDEMPOTENCY_CONFLICT", detail: lastId };
      candidates = stored.slice(Math.max(0, current - n));
    }
  }
  if (candidates && candidates.length > 0) {
    const matched = candidates.filter(
      (candidate, k) => candidate.id !== "auto" && candidate.id === ids[k],
    ).length;
    if (matched > 0) {
      if (matched !== n || candidates.length !== n)
        return { kind: "error", code: "IDEMPOTENCY_CONFLICT", detail: ids[0] };
      for (const [k, candidate] of candidates.entries()) {
        const event = request.events[k] as RequestedEvent;
        if (candidate.type !== event.type || candidate.data !== JSON.stringify(event.data))
          return { kind: "error", code: "IDEMPOTENCY_CONFLICT", detail: ids[k] };
      }
      const first = stored.indexOf(candidates[0] as ModelEvent) + 1;
      return {
        kind: "dup",
        next: first + n - 1,
        first,
        positions: candidates.map((candidate) => candidate.position),
      };
    }
  }
  const ok =
    kind === "no_stream"
      ? !exists
      : kind === "stream_exists"
        ? exists
        : kind === "exact"
          ? current === request.expected
          : true;
  if (!ok) return { kind: "error", code: "CONCURRENCY", detail: [current, exists] };
  if (!positions || positions.length !== n)
    return { kind: "error", code: "MODEL_EXPECTED_A_WRITE" };
  const category = categoryOf(request.stream);
  const log = model.logs[category] ?? [];
  model.logs[category] = log;
  for (const [k, event] of request.events.entries()) {
    const entry = {
      id: ids[k] as string,
      type: event.type,
      data: JSON.stringify(event.data),
      position: positions[k] as string,
    };
    stored.push(entry);
    log.push({
      a: request.stream.slice(request.stream.indexOf("-") + 1),
      v: current + k + 1,
      i: entry.id,
      t: entry.type,
      d: entry.data,
      position: entry.position,
    });
  }
  return { kind: "ok", next: current + n, first: current + 1, positions: [...positions] };
}

function compareIds(left: string, right: string): number {
  const [lm = 0n, ls = 0n] = left.split("-").map(BigInt);
  const [rm = 0n, rs = 0n] = right.split("-").map(BigInt);
  return lm === rm ? Number(ls - rs) : lm < rm ? -1 : 1;
}

// ---------------------------------------------------------------------------------------------
// The real store

async function runOnStore(
  store: EventStore<typeof events>,
  request: AppendRequest,
): Promise<Outcome> {
  try {
    const result = await store.append(request.stream, request.events as never, {
      expectedVersion: request.expected as never,
    });
    return {
      kind: result.duplicate ? "dup" : "ok",
      next: result.nextExpectedVersion,
      first: result.firstVersion,
      positions: result.positions,
    };
  } catch (error) {
    if (!isStreamstoreError(error)) return { kind: "error", code: `CRASH ${String(error)}` };
    if (error instanceof ConcurrencyError)
      return { kind: "error", code: error.code, detail: [error.actualVersion, error.streamExists] };
    if (error instanceof IdempotencyConflictError)
      return {
        kind: "error",
        code: error.code,
        detail: UUID.test(error.eventId) ? "auto" : error.eventId,
      };
    return { kind: "error", code: error.code };
  }
}

function permutations<Item>(items: readonly Item[]): Item[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, index) =>
    permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [
      item,
      ...rest,
    ]),
  );
}

/** The serial order of a concurrent group that explains Redis's replies, and the model after it. */
function explainGroup(
  model: Model,
  requests: readonly AppendRequest[],
  outcomes: readonly Outcome[],
): Model | undefined {
  for (const order of permutations(requests.map((_, index) => index))) {
    const candidate = structuredClone(model);
    const lastPosition: Record<string, string> = {};
    const explained = order.every((index) => {
      const real = outcomes[index] as Outcome;
      const request = requests[index] as AppendRequest;
      const predicted = applyToModel(
        candidate,
        request,
        real.kind === "ok" ? real.positions : undefined,
      );
      if (!isDeepEqual(predicted, real)) return false;
      if (real.kind !== "ok") return true;
      const category = categoryOf(request.stream);
      const first = real.positions[0] as string;
      const previous = lastPosition[category];
      if (previous !== undefined && compareIds(previous, first) >= 0) return false;
      lastPosition[category] = real.positions[real.positions.length - 1] as string;
      return true;
    });
    if (explained) return candidate;
  }
  return undefined;
}

function isDeepEqual(left: unknown, right: unknown): boolean {
  try {
    expect(left).toStrictEqual(right);
    return true;
  } catch {
    return false;
  }
}

let clients: Redis[];
let raw: Redis;
let sequencesRun = 0;
let appendsRun = 0;
let concurrentGroups = 0;
const outcomeCounts: Record<string, number> = {};

beforeAll(() => {
  const url = inject("redisUrl");
  clients = Array.from({ length: WRITERS }, () => new Redis(url));
  raw = new Redis(url);
});

afterAll(async () => {
  await Promise.all([...clients, raw].map((client) => client.quit()));
});

async function deletePrefix(prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await raw.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await raw.del(...keys);
  } while (cursor !== "0");
}

describe("getRedisEventStore", () => {
  it("answers random sequences of valid, invalid, retried and concurrent appends exactly as the model of its contract does", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArbitrary, { minLength: 1, maxLength: 8 }), async (steps) => {
        // Given an empty store under a prefix of its own, one store per writer connection
        const prefix = `model-${randomBytes(6).toString("hex")}`;
        const stores = clients.map((redis) =>
          getRedisEventStore({ redis, events, prefix, serverCheck: "off", logger: silentLogger }),
        );
        let model: Model = { streams: {}, logs: {} };
        const history: AppendRequest[] = [];
        try {
          for (const step of steps) {
            // When a step runs: one append, a retry of an earlier one, or concurrent writers
            const requests =
              step.kind === "group"
                ? step.requests
                : history.length === 0
                  ? []
                  : [history[step.of % history.length] as AppendRequest];
            if (requests.length === 0) continue;
            history.push(...requests);
            const outcomes = await Promise.all(
              requests.map((request, index) =>
                runOnStore(stores[index] as EventStore<typeof events>, request),
              ),
            );
            appendsRun += requests.length;
            for (const outcome of outcomes) {
              const name = outcome.kind === "error" ? outcome.code : outcome.kind;
              outcomeCounts[name] = (outcomeCounts[name] ?? 0) + 1;
            }
            if (requests.length > 1) concurrentGroups++;
            // Then some serial order of the step makes the model reply exactly as Redis did
            const next = explainGroup(model, requests, outcomes);
            if (!next) {
              throw new Error(
                `no serial order explains the replies:\n${JSON.stringify({ requests, outcomes, model }, null, 1)}`,
              );
            }
            model = next;
          }
          // Then every stream and every category log holds exactly what the model holds
          const store = stores[0] as EventStore<typeof events>;
          for (const stream of VALID_STREAMS) {
            const expected = model.streams[stream] ?? [];
            expect(await store.version(stream)).toBe(expected.length);
            const read: ModelEvent[] = [];
            for await (const event of store.read(stream)) {
              expect(event.version).toBe(read.length + 1);
              read.push({
                id: UUID.test(event.id) ? "auto" : event.id,
                type: event.type,
                data: JSON.stringify(event.data),
                position: event.position,
              });
            }
            expect(read).toStrictEqual(expected);
          }
          for (const category of CATEGORIES) {
            const entries = await raw.xrange(store.keys.log(category, 0), "-", "+");
            const log = entries.map(([position, fields]): ModelLogEntry => {
              const map = new Map<string, string>();
              for (let i = 0; i + 1 < fields.length; i += 2)
                map.set(fields[i] as string, fields[i + 1] as string);
              const id = map.get("i") ?? "";
              return {
                a: map.get("a") ?? "",
                v: Number(map.get("v")),
                i: UUID.test(id) ? "auto" : id,
                t: map.get("t") ?? "",
                d: map.get("d") ?? "",
                position,
              };
            });
            expect(log).toStrictEqual(model.logs[category] ?? []);
          }
          sequencesRun++;
        } finally {
          await deletePrefix(prefix);
        }
      }),
      { numRuns: SEQUENCES },
    );
    expect(sequencesRun).toBeGreaterThanOrEqual(SEQUENCES);
    console.info(
      `[model] ${sequencesRun} sequences, ${appendsRun} appends, ${concurrentGroups} concurrent groups: all agreed; replies ${JSON.stringify(outcomeCounts)}`,
    );
  }, 120_000);
});
