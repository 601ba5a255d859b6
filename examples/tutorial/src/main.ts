// Runs the whole tutorial: commands, a read, the read model, the reactor. On the in-memory fake by
// default (nothing to install); on your Redis (>= 7) when REDIS_URL is set:
//   npm start                                       (tsx src/main.ts)
//   REDIS_URL=redis://127.0.0.1:6379 npm start
import { connectRedis } from "@streamstore/core";
import { startProjection, startReactor } from "@streamstore/projections";
import { createFakeRedis } from "@streamstore/testing";
import { createAccountStore, execute } from "./commands.js";
import { AccountError } from "./decider.js";
import { balances } from "./projection.js";
import { receipts } from "./reactor.js";

// process.env.REDIS_URL is a string or undefined: unset (or empty) means the fake. connectRedis
// gives a ready client within 5 s, or a typed error naming the URL (password masked), and never
// hangs during an outage (docs/connecting.md).
const redisUrl = process.env.REDIS_URL;
const redis = redisUrl ? await connectRedis(redisUrl) : createFakeRedis();
const prefix = process.env.KEY_PREFIX ?? "tutorial";
const store = createAccountStore(redis, prefix);

// The read model's runner and the reactor's worker run beside the commands, as in an app.
const projection = startProjection(balances, { redis, store });
const receiptsSent = new Set<string>(); // ids of the events a receipt was sent for
const reactor = startReactor(
  receipts(async (receipt) => {
    console.log(`  reactor: receipt to ${receipt.to}: ${receipt.text}`);
    receiptsSent.add(receipt.id);
  }),
  { redis, store, startFrom: "beginning" },
);

try {
  console.log(`Running on ${redisUrl ? "Redis" : "the in-memory fake"}, key prefix "${prefix}".`);

  // Commands, each decided on the account's current state.
  const opened = await execute(store, "ada", { type: "Open", owner: "Ada" });
  console.log(`Opened account-ada: version ${opened.nextExpectedVersion}`);
  const deposit = await execute(store, "ada", { type: "Deposit", amount: 100 });
  console.log(
    `Deposited 100: balance ${deposit.newState.balance}, version ${deposit.nextExpectedVersion}`,
  );
  const withdrawal = await execute(store, "ada", { type: "Withdraw", amount: 30 });
  console.log(
    `Withdrew 30: balance ${withdrawal.newState.balance}, version ${withdrawal.nextExpectedVersion}`,
  );
  // The reactor sends a receipt for the withdrawal, in the background: wait for it.
  await until(() => withdrawal.newEvents.every((event) => receiptsSent.has(event.id)));
  try {
    await execute(store, "ada", { type: "Withdraw", amount: 1000 });
  } catch (error) {
    if (!(error instanceof AccountError)) throw error;
    console.log(`Withdrawing 1000 refused: ${error.message}`);
  }

  // The events as stored, oldest first.
  for await (const event of store.read("account-ada")) {
    console.log(`  account-ada v${event.version} ${event.type} ${JSON.stringify(event.data)}`);
  }

  // The read model, once the projection has applied every event appended so far.
  await projection.waitUntilCaughtUp();
  console.log("Read model:", JSON.stringify(await projection.get("account-ada")));
  if (redisUrl) console.log(`The events stay in Redis under "${prefix}:": try the CLI on them.`);
} finally {
  // Stop the workers, then disconnect: nothing is left running, so the process exits.
  await reactor.stop();
  await projection.stop();
  await redis.quit();
}

/** Waits until `condition()` holds, checking every 20 ms; fails after 10 s. */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out after 10 s");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
