import { defineEvents, type EventStore, silentLogger } from "@streamstore/core";
import { z } from "zod";
import { defineProjection } from "../../src/index.js";

/** The events of the test domain. */
export const bankEvents = defineEvents({
  Deposited: z.object({ amount: z.number() }),
  Withdrawn: z.object({ amount: z.number() }),
  Noted: z.object({ text: z.string() }),
});

/** A balance per account that also proves order: each event's version must follow the last one. */
export interface AccountState {
  balance: number;
  count: number;
  lastVersion: number;
  violations: number;
}

/** The counter projection: per-aggregate version sequence check + counts. */
export function accountsProjection(options: { name?: string; version?: number } = {}) {
  const check = (draft: AccountState, version: number) => {
    if (version !== draft.lastVersion + 1) draft.violations++;
    draft.lastVersion = version;
    draft.count++;
  };
  return defineProjection(bankEvents, {
    name: options.name ?? "accounts",
    version: options.version ?? 1,
    source: ["account"],
    key: (event) => event.streamName,
    initialState: (): AccountState => ({ balance: 0, count: 0, lastVersion: 0, violations: 0 }),
    handlers: {
      Deposited: (draft, event) => {
        draft.balance += event.data.amount;
        check(draft, event.version);
      },
      Withdrawn: (draft, event) => {
        draft.balance -= event.data.amount;
        check(draft, event.version);
      },
      Noted: (draft, event) => {
        check(draft, event.version);
      },
    },
  });
}

/** The same fold, computed independently from raw log fields (reference for comparisons). */
export function referenceFold(
  entries: { a: string; t: string; d: string; v: string }[],
): Map<string, AccountState> {
  const states = new Map<string, AccountState>();
  for (const entry of entries) {
    const key = `account-${entry.a}`;
    const state = states.get(key) ?? { balance: 0, count: 0, lastVersion: 0, violations: 0 };
    if (entry.t !== "Noted") {
      const amount = (JSON.parse(entry.d) as { amount: number }).amount;
      state.balance += entry.t === "Deposited" ? amount : -amount;
    }
    state.count++;
    state.lastVersion = Number(entry.v);
    states.set(key, state);
  }
  return states;
}

/** Reads every entry of the given logs with XRANGE pages, as field maps. */
export async function readLogs(
  redis: {
    xrange(
      key: string,
      start: string,
      end: string,
      count: "COUNT",
      n: number,
    ): Promise<[string, string[]][]>;
  },
  logKeys: string[],
): Promise<{ a: string; t: string; d: string; v: string }[]> {
  const all: { a: string; t: string; d: string; v: string }[] = [];
  for (const key of logKeys) {
    let after = "-";
    for (;;) {
      const page = await redis.xrange(key, after, "+", "COUNT", 5000);
      for (const [, fields] of page) {
        const map: Record<string, string> = {};
        for (let i = 0; i + 1 < fields.length; i += 2)
          map[fields[i] as string] = fields[i + 1] as string;
        all.push(map as { a: string; t: string; d: string; v: string });
      }
      if (page.length < 5000) break;
      after = `(${page[page.length - 1]?.[0]}`;
    }
  }
  return all;
}

/** Appends one `Deposited` of 1 to each of `account-0` … `account-<accounts - 1>`, in turn. */
export async function depositOnceEach(
  store: EventStore<typeof bankEvents>,
  accounts: number,
): Promise<void> {
  for (let i = 0; i < accounts; i++) {
    await store.append(`account-${i}`, [{ type: "Deposited", data: { amount: 1 } }]);
  }
}

/**
 * Appends `rounds` times 10 `Deposited` of 1 to every stream of `keys`, the streams of a round
 * concurrently: many events fast, in interleaved log order.
 */
export async function depositInRounds(
  store: EventStore<typeof bankEvents>,
  keys: string[],
  rounds: number,
): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    await Promise.all(
      keys.map((key) =>
        store.append(
          key,
          Array.from({ length: 10 }, () => ({ type: "Deposited" as const, data: { amount: 1 } })),
        ),
      ),
    );
  }
}

/**
 * Runner timings for tests of membership, leases and rebuilds: a worker's death or a switch is
 * seen within about a second instead of the production defaults' tens of seconds.
 *
 * @example
 * const runner = startProjection(accountsProjection(), { redis, store, ...FAST_RUNNER_OPTIONS });
 */
export const FAST_RUNNER_OPTIONS = {
  heartbeatMs: 100,
  memberTtlMs: 500,
  leaseTtlMs: 800,
  blockMs: 200,
  leaseMarginMs: 50,
  logger: silentLogger,
};
