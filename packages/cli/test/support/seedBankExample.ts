import { type EventStore, getRedisEventStore, silentLogger } from "@streamstore/core";
import { Redis } from "ioredis";
import { accountEvents } from "../../../../examples/bank-account/src/account.js";
import {
  type BankAccountSummary,
  main as bankMain,
} from "../../../../examples/bank-account/src/main.js";
import { seedWithExample } from "./cli.js";

/** Options of {@link seedBankExample}. */
export interface SeedBankExampleOptions {
  /** The Redis to seed (the run's private server, or the docs script's own). */
  redisUrl: string;
  /** Every key of the seed lives under it; the caller deletes them. */
  prefix: string;
  /**
   * More history after the example's: 100 deposits on each of `accounts` streams `account-0`,
   * `account-1`, … (amount `index + 1` unless `amount` says otherwise), so that a rebuild takes
   * long enough to interrupt.
   */
  history?: { accounts: number; amount?: (index: number) => number };
  /**
   * Streams that get one deposit of 13 each, last: fragile-balances dead-letters every one of
   * them (the dead-letter commands' material).
   */
  poison?: readonly string[];
}

/** What {@link seedBankExample} leaves for the test: its client, its store and the example's figures. */
export interface SeededBank {
  /** A client of its own; the caller quits it. */
  redis: Redis;
  /** The bank example's events under the prefix, for the appends a test makes itself. */
  store: EventStore<typeof accountEvents>;
  summary: BankAccountSummary;
}

/**
 * Seeds a Redis as the CLI tests and docs/operations.md inspect it: the bank example's run under
 * `prefix`, then the optional history and poison deposits.
 *
 * @example
 * const { redis, store, summary } = await seedBankExample({ redisUrl, prefix, poison: ["account-bob"] });
 */
export async function seedBankExample(options: SeedBankExampleOptions): Promise<SeededBank> {
  const { redisUrl, prefix, history, poison = [] } = options;
  const redis = new Redis(redisUrl);
  const summary = await seedWithExample(prefix, () => bankMain({ redisUrl, print: () => {} }));
  const store = getRedisEventStore({
    redis,
    events: accountEvents,
    prefix,
    serverCheck: "off",
    logger: silentLogger,
  });
  const amount = history?.amount ?? ((index: number) => index + 1);
  for (let account = 0; account < (history?.accounts ?? 0); account++) {
    await store.append(
      `account-${account}`,
      Array.from({ length: 100 }, (_, index) => ({
        type: "Deposited" as const,
        data: { amount: amount(index) },
      })),
    );
  }
  for (const stream of poison) {
    await store.append(stream, [{ type: "Deposited", data: { amount: 13 } }]);
  }
  return { redis, store, summary };
}
