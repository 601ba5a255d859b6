import type { EventArchive, EventStore } from "@streamstore/core";
import { defineProjection } from "../../src/index.js";
import { bankEvents } from "./fixtures.js";

/**
 * A ledger per account that also proves exactly-once and order: each event's version must follow
 * the last one, and `applied` counts the applications of each event id.
 */
export interface Ledger {
  build: number;
  balance: number;
  count: number;
  lastVersion: number;
  violations: number;
  applied: Record<string, number>;
}

/** The ledger projection (`build` is its version, so readers can tell builds apart). */
export function ledgerProjection(version = 1) {
  const apply = (draft: Ledger, id: string, version: number, amount: number) => {
    if (version !== draft.lastVersion + 1) draft.violations++;
    draft.lastVersion = version;
    draft.count++;
    draft.balance += amount;
    draft.applied[id] = (draft.applied[id] ?? 0) + 1;
  };
  return defineProjection(bankEvents, {
    name: "ledger",
    version,
    source: ["account"],
    key: (event) => event.streamName,
    initialState: (): Ledger => ({
      build: version,
      balance: 0,
      count: 0,
      lastVersion: 0,
      violations: 0,
      applied: {},
    }),
    handlers: {
      Deposited: (draft, event) => apply(draft, event.id, event.version, event.data.amount),
      Withdrawn: (draft, event) => apply(draft, event.id, event.version, -event.data.amount),
      Noted: (draft, event) => apply(draft, event.id, event.version, 0),
    },
  });
}

/** One appended event, as the test recorded it (the logs lose what the archiver trims). */
export interface AppendedEvent {
  stream: string;
  id: string;
  type: "Deposited" | "Withdrawn" | "Noted";
  amount: number;
}

/** What a test appended, in append order per stream, and the newest position's Redis time. */
export class AppendRecord {
  readonly events: AppendedEvent[] = [];
  /** Redis's time (ms) of the newest position appended. */
  newestMs = 0;
  private next = 0;

  /**
   * Appends `rounds` times two events to each of `account-0` … `account-<aggregates - 1>`, the
   * streams of a round concurrently (interleaved log order), with event ids of the test's own.
   */
  async append(
    store: EventStore<typeof bankEvents>,
    aggregates: number,
    rounds: number,
  ): Promise<void> {
    for (let round = 0; round < rounds; round++) {
      await Promise.all(
        Array.from({ length: aggregates }, async (_, a) => {
          const batch = [0, 1].map((): AppendedEvent => {
            const n = this.next++;
            const type = (["Deposited", "Withdrawn", "Noted"] as const)[n % 3] as
              | "Deposited"
              | "Withdrawn"
              | "Noted";
            return {
              stream: `account-${a}`,
              id: `e-${n}`,
              type,
              amount: type === "Noted" ? 0 : (n % 7) + 1,
            };
          });
          const result = await store.append(
            `account-${a}`,
            batch.map((event) => ({
              id: event.id,
              type: event.type,
              data: event.type === "Noted" ? { text: event.id } : { amount: event.amount },
            })) as never,
          );
          this.events.push(...batch);
          for (const position of result.positions) {
            this.newestMs = Math.max(this.newestMs, Number(position.split("-")[0]));
          }
        }),
      );
    }
  }

  /** The ledgers an independent fold of every appended event gives, by stream. */
  fold(build: number): Map<string, Ledger> {
    const ledgers = new Map<string, Ledger>();
    for (const event of this.events) {
      const ledger = ledgers.get(event.stream) ?? {
        build,
        balance: 0,
        count: 0,
        lastVersion: 0,
        violations: 0,
        applied: {},
      };
      ledger.count++;
      ledger.lastVersion++;
      ledger.balance += event.type === "Withdrawn" ? -event.amount : event.amount;
      ledger.applied[event.id] = 1;
      ledgers.set(event.stream, ledger);
    }
    return ledgers;
  }
}

export {
  until,
  waitForRedisTimePast as untilRedisTimePast,
} from "@streamstore/testing/internal";

/** An archive that counts the partition reads made through it. */
export function countingArchive(archive: EventArchive): EventArchive & { partitionReads: number } {
  const counted = Object.assign(Object.create(archive) as EventArchive, {
    partitionReads: 0,
    readPartition(...args: Parameters<EventArchive["readPartition"]>) {
      counted.partitionReads++;
      return archive.readPartition(...args);
    },
  });
  return counted;
}
