import { type EventStore, isConcurrencyError } from "@streamstore/core";
import { indexPositions } from "@streamstore/testing/contract";
import type { Redis } from "ioredis";
import type { ProjectionReader } from "../../src/index.js";
import { type AccountState, type bankEvents, readLogs, referenceFold } from "./fixtures.js";

/** An append the server acknowledged: where its events must be, once each. */
export interface AcknowledgedEvent {
  stream: string;
  version: number;
}

/** Appends from concurrent producers, each recording what Redis acknowledged. */
export interface AcknowledgingProducers {
  /** Event id → where Redis said it put it (only acknowledged appends). */
  readonly acknowledged: Map<string, AcknowledgedEvent>;
  /** performance.now() of every acknowledged append and of every failed attempt. */
  readonly successes: number[];
  readonly failures: number[];
  /** Attempts that failed and were retried with the same ids and expected version. */
  readonly retries: number;
  /** Appends acknowledged as `duplicate` (a retry of an append Redis had run). */
  readonly duplicates: number;
  /** Appends refused because their stream had gone back to an older version (data lost). */
  readonly regressions: number;
  /** Stops appending; resolves once every producer has its last append acknowledged. */
  stop(): Promise<void>;
}

/**
 * Starts `producers` loops, each owning `accountsEach` accounts (so that it knows their versions)
 * and appending batches of 1–3 events with caller-chosen ids and an exact expected version. A
 * failed attempt (connection lost, server down, OOM) is retried with the same ids and expected
 * version until acknowledged: the store's idempotency must turn a retry of an append that did
 * run into `duplicate: true`, never a second copy. Nothing here reconnects anything.
 */
export function startAcknowledgingProducers(
  store: EventStore<typeof bankEvents>,
  options: { producers: number; accountsEach: number; seed: number; pauseMs?: number },
): AcknowledgingProducers {
  const acknowledged = new Map<string, AcknowledgedEvent>();
  const successes: number[] = [];
  const failures: number[] = [];
  let retries = 0;
  let duplicates = 0;
  let regressions = 0;
  let running = true;
  let random = options.seed;
  const next = () => {
    random = (random * 1_103_515_245 + 12_345) & 0x7fffffff;
    return random;
  };
  const loop = async (producer: number) => {
    const versions = new Map<string, number>();
    let sequence = 0;
    while (running) {
      const stream = `account-${producer}x${next() % options.accountsEach}`;
      const expectedVersion = versions.get(stream) ?? 0;
      const batch = Array.from({ length: 1 + (next() % 3) }, (_, index) => ({
        type: next() % 2 === 0 ? ("Deposited" as const) : ("Withdrawn" as const),
        data: { amount: next() % 100 },
        id: `p${producer}-${sequence}-${index}`,
      }));
      sequence++;
      for (;;) {
        try {
          const result = await store.append(stream, batch, { expectedVersion });
          successes.push(performance.now());
          if (result.duplicate) duplicates++;
          for (const [index, event] of batch.entries())
            acknowledged.set(event.id, { stream, version: result.firstVersion + index });
          versions.set(stream, result.nextExpectedVersion);
          break;
        } catch (error) {
          failures.push(performance.now());
          // The stream is behind what was acknowledged: the server lost acknowledged appends
          // (a restart from an AOF that missed them). Go on from where it really is; the audit
          // counts what was lost.
          if (isConcurrencyError(error) && error.actualVersion < expectedVersion) {
            regressions++;
            versions.set(stream, error.actualVersion);
            break;
          }
          retries++;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
      if (options.pauseMs) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    }
  };
  const loops = Array.from({ length: options.producers }, (_, producer) => loop(producer));
  return {
    acknowledged,
    successes,
    failures,
    get retries() {
      return retries;
    },
    get duplicates() {
      return duplicates;
    },
    get regressions() {
      return regressions;
    },
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** What {@link auditAppends} found. */
export interface AppendAudit {
  acknowledged: number;
  /** Acknowledged events missing from their stream's index or from the logs. */
  lost: number;
  /** Event ids stored more than once (at two versions of the indexes, or in the logs). */
  duplicated: number;
  /** Acknowledged events found at another version than the one acknowledged. */
  misplaced: number;
  /**
   * Streams whose version (the store's) differs from their index's record count, whose index is
   * not whole records, or whose records name a log entry of another stream or version.
   */
  badVersions: number;
  /** Log entries in total. */
  logEntries: number;
}

function fieldOf(fields: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

/**
 * Reads every partition log and every stream's index back (raw, not through the store) and checks
 * each acknowledged event is there exactly once, at the version acknowledged, that each index
 * record names the log entry of its stream and version, and that versions match the indexes.
 */
export async function auditAppends(
  redis: Redis,
  store: EventStore<typeof bankEvents>,
  acknowledged: Map<string, AcknowledgedEvent>,
  partitions: number,
): Promise<AppendAudit> {
  // "<log key> <position>" → fields: positions are unique within one log only.
  const logged = new Map<string, string[]>();
  const inLogs = new Map<string, number>();
  for (let partition = 0; partition < partitions; partition++) {
    const logKey = store.keys.log("account", partition);
    for (const [position, fields] of await redis.xrange(logKey, "-", "+")) {
      logged.set(`${logKey} ${position}`, fields);
      const id = fieldOf(fields, "i") as string;
      inLogs.set(id, (inLogs.get(id) ?? 0) + 1);
    }
  }
  const streams = new Set([...acknowledged.values()].map((event) => event.stream));
  const inStreams = new Map<string, { stream: string; version: number }[]>();
  let badVersions = 0;
  for (const stream of streams) {
    const { indexKey, logKey, id: aggregateId } = await store.locate(stream);
    let positions: string[];
    try {
      positions = indexPositions(await redis.getBuffer(indexKey));
    } catch {
      badVersions++;
      continue;
    }
    let disagrees = false;
    positions.forEach((position, index) => {
      const version = index + 1;
      const fields = logged.get(`${logKey} ${position}`);
      // A record of a position the log does not hold: that event is lost (counted below).
      if (fields === undefined) return;
      if (fieldOf(fields, "a") !== aggregateId || fieldOf(fields, "v") !== String(version))
        disagrees = true;
      const id = fieldOf(fields, "i") as string;
      inStreams.set(id, [...(inStreams.get(id) ?? []), { stream, version }]);
    });
    if (disagrees) badVersions++;
    if ((await store.version(stream)) !== positions.length) badVersions++;
  }
  let lost = 0;
  let misplaced = 0;
  for (const [id, expected] of acknowledged) {
    const found = inStreams.get(id) ?? [];
    if (found.length === 0 || !inLogs.has(id)) lost++;
    else if (found[0]?.stream !== expected.stream || found[0]?.version !== expected.version)
      misplaced++;
  }
  let duplicated = 0;
  for (const found of inStreams.values()) if (found.length > 1) duplicated++;
  for (const count of inLogs.values()) if (count > 1) duplicated++;
  return {
    acknowledged: acknowledged.size,
    lost,
    duplicated,
    misplaced,
    badVersions,
    logEntries: logged.size,
  };
}

/** Documents of the read model that differ from the reference fold of the logs. */
export async function readModelMismatches(
  redis: Redis,
  store: EventStore<typeof bankEvents>,
  reader: Pick<ProjectionReader<unknown>, "getMany">,
  partitions: number,
): Promise<{ documents: number; mismatches: number; violations: number }> {
  const entries = await readLogs(
    redis,
    Array.from({ length: partitions }, (_, partition) => store.keys.log("account", partition)),
  );
  const expected = referenceFold(entries);
  const keys = [...expected.keys()];
  const actual = (await reader.getMany(keys)) as (AccountState | undefined)[];
  let mismatches = 0;
  let violations = 0;
  keys.forEach((key, index) => {
    if (JSON.stringify(actual[index]) !== JSON.stringify(expected.get(key))) mismatches++;
    violations += actual[index]?.violations ?? 0;
  });
  return { documents: keys.length, mismatches, violations };
}

/** Longest time from a failed attempt to the next acknowledged append, ms (0 without failures). */
export function longestRecoveryMs(failures: number[], successes: number[]): number {
  const sortedSuccesses = [...successes].sort((a, b) => a - b);
  let longest = 0;
  let index = 0;
  // Each outage starts at its first failure: a failure after the previous success.
  let outageStart: number | undefined;
  let lastSuccess = Number.NEGATIVE_INFINITY;
  for (const failure of [...failures].sort((a, b) => a - b)) {
    while (index < sortedSuccesses.length && (sortedSuccesses[index] as number) < failure) {
      lastSuccess = sortedSuccesses[index] as number;
      index++;
      outageStart = undefined;
    }
    if (outageStart === undefined && failure > lastSuccess) {
      outageStart = failure;
      const recovered = sortedSuccesses[index];
      if (recovered !== undefined) longest = Math.max(longest, recovered - outageStart);
    }
  }
  return Math.round(longest);
}
