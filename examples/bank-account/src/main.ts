import {
  getRedisEventStore,
  handleCommand,
  isConcurrencyError,
  silentLogger,
} from "@streamstore/core";
import { startProjection } from "@streamstore/projections";
import { isDirectRun, openBackend } from "../../shared/backend.js";
import { account, accountEvents, InsufficientFundsError } from "./account.js";
import { balances } from "./balances.js";

/** Options of {@link main}. */
export interface MainOptions {
  /** A real Redis to run on; the in-memory fake when absent. */
  redisUrl?: string | undefined;
  /** Where the story goes, one line at a time. Default: stdout. */
  print?: (line: string) => void;
  /** A shorter run (fewer concurrent withdrawals), for the tour's `--quick`. */
  quick?: boolean;
}

/** The figures of one run, for the tour and the tests. */
export interface BankAccountSummary {
  eventsAppended: number;
  finalVersion: number;
  withdrawalsAccepted: number;
  withdrawalsRefused: number;
  conflictsRetried: number;
  projectedBalance: number | undefined;
  aggregateBalance: number;
  projectionLag: number;
}

/**
 * Opens two accounts, sends commands through `handleCommand` (some at the same moment, so they
 * conflict and retry), and reads the balances projection once it has caught up.
 *
 * @example
 * await main({ redisUrl: process.env.REDIS_URL });
 */
export async function main(options: MainOptions = {}): Promise<BankAccountSummary> {
  const print = options.print ?? ((line: string) => console.log(line));
  const concurrent = options.quick ? 8 : 10;
  const backend = await openBackend("bank", options.redisUrl);
  print(`Running on ${backend.name} (key prefix "${backend.prefix}").`);
  const store = getRedisEventStore({
    redis: backend.redis,
    events: accountEvents,
    prefix: backend.prefix,
    serverCheck: backend.serverCheck,
  });
  const runner = startProjection(balances, {
    redis: backend.redis,
    store,
    logger: silentLogger,
  });
  let eventsAppended = 0;
  try {
    // 1. Plain commands: each loads the stream, decides, appends at the version it loaded.
    print("");
    print("1. Opening accounts and depositing");
    for (const [stream, owner, amount] of [
      ["account-alice", "Alice", 200],
      ["account-bob", "Bob", 50],
    ] as const) {
      const opened = await handleCommand(store, stream, account, { type: "Open", owner });
      const deposited = await handleCommand(store, stream, account, { type: "Deposit", amount });
      eventsAppended += 2;
      print(
        `   ${stream}: opened at version ${opened.nextExpectedVersion}, deposited ${amount} at version ${deposited.nextExpectedVersion}, balance ${deposited.newState.balance}`,
      );
    }

    // 2. Concurrent commands on one stream: all load the same version, one append wins, the
    // others get a ConcurrencyError, catch up with the events they missed and decide again.
    print("");
    print(`2. ${concurrent} withdrawals of 30 from account-alice at the same moment`);
    const outcomes = await Promise.all(
      Array.from({ length: concurrent }, async (_, index) => {
        try {
          const result = await handleCommand(store, "account-alice", account, {
            type: "Withdraw",
            amount: 30,
          });
          return { index, ok: true as const, version: result.nextExpectedVersion, ...result };
        } catch (error) {
          if (error instanceof InsufficientFundsError) {
            return { index, ok: false as const, error, retries: undefined };
          }
          throw error;
        }
      }),
    );
    let conflictsRetried = 0;
    let accepted = 0;
    for (const outcome of outcomes) {
      if (outcome.ok) {
        accepted++;
        conflictsRetried += outcome.retries;
        eventsAppended++;
        print(
          `   withdrawal #${outcome.index + 1}: accepted at version ${outcome.version} after ${outcome.retries} conflict${outcome.retries === 1 ? "" : "s"} retried, balance ${outcome.newState.balance}`,
        );
      } else {
        print(
          `   withdrawal #${outcome.index + 1}: refused, ${outcome.error.message} (decided on fresh state after conflicts)`,
        );
      }
    }
    const refused = concurrent - accepted;
    print(
      `   => ${accepted} accepted, ${refused} refused for insufficient funds, ${conflictsRetried} conflicts retried in total`,
    );

    // 3. A writer that skips handleCommand and appends with a stale version is refused.
    print("");
    print("3. A stale writer appends expecting version 2");
    try {
      await store.append("account-alice", [{ type: "Deposited", data: { amount: 1 } }], {
        expectedVersion: 2,
      });
    } catch (error) {
      if (!isConcurrencyError(error)) throw error;
      print(
        `   refused with ConcurrencyError: the stream is at version ${error.actualVersion}, nothing was written`,
      );
    }

    // 4. The read model, once it has applied everything appended so far.
    print("");
    print("4. Reading the balances projection");
    await runner.waitUntilCaughtUp(undefined, { timeoutMs: 10_000 });
    const [alice, bob] = await runner.getMany(["account-alice", "account-bob"]);
    const finalVersion = await store.version("account-alice");
    let aggregateBalance = 0;
    for await (const event of store.read("account-alice")) {
      aggregateBalance += event.type === "Deposited" ? event.data.amount : 0;
      aggregateBalance -= event.type === "Withdrawn" ? event.data.amount : 0;
    }
    const status = await runner.status();
    const lag = status.partitions.reduce((sum, partition) => sum + partition.lag, 0);
    print(
      `   account-alice: projected balance ${alice?.balance} (${alice?.deposits} deposit, ${alice?.withdrawals} withdrawals); replaying its ${finalVersion} events gives ${aggregateBalance}`,
    );
    print(`   account-bob: projected balance ${bob?.balance}`);
    print(
      `   projection "${status.projection}" ${status.build}: ${status.partitions[0]?.applied} log entries applied, lag ${lag}, ${status.deadLetters} dead letters`,
    );
    print("");
    print(`Done: ${eventsAppended} events appended, account-alice at version ${finalVersion}.`);
    return {
      eventsAppended,
      finalVersion,
      withdrawalsAccepted: accepted,
      withdrawalsRefused: refused,
      conflictsRetried,
      projectedBalance: alice?.balance,
      aggregateBalance,
      projectionLag: lag,
    };
  } finally {
    await runner.stop();
    await backend.close();
  }
}

if (isDirectRun(import.meta.url)) {
  main({ redisUrl: process.env.REDIS_URL, quick: process.argv.includes("--quick") }).catch(
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
