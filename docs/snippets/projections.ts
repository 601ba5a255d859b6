// docs/projections.md
import type { EventStore } from "@streamstore/core";
import {
  createProjectionReader,
  defineReactor,
  getProjectionStatus,
  requestRebuild,
  startProjection,
  startReactor,
} from "@streamstore/projections";
import type { Redis } from "ioredis";
import { balances, events } from "./bank.js";

export async function examples(redis: Redis, store: EventStore<typeof events>): Promise<void> {
  // #region run
  const controller = new AbortController();
  const runner = startProjection(balances, {
    redis,
    store, // its prefix and partition counts
    signal: controller.signal, // or: await runner.stop()
    maxDeliveries: 5,
    onHandlerFailure: "dead-letter", // or "stop"
  });
  // #endregion

  // #region wait
  const appended = await store.append("account-7", [
    { type: "Deposited", data: { amount: 10, currency: "EUR" } },
  ]);
  await runner.waitUntilCaughtUp(appended); // read-your-writes for this append
  console.log(await runner.get("account-7")); // { balance: 10, movements: 1 }
  // #endregion

  // #region read
  const reader = createProjectionReader(balances, { redis, prefix: store.keys.prefix });
  const [a, b] = await reader.getMany(["account-7", "account-8"]);
  // #endregion
  console.log(a, b);

  // #region status
  const status = await getProjectionStatus(balances, { redis, prefix: store.keys.prefix });
  for (const partition of status.partitions) {
    console.log(partition.category, partition.partition, partition.state, partition.lag);
  }
  // #endregion

  // #region dead-letters
  for (const letter of await runner.deadLetters.list({ count: 10 })) {
    console.log(letter.id, letter.error);
    await runner.deadLetters.retry(letter.id); // or discard(letter.id)
  }
  // #endregion

  // #region rebuild
  // Same version, new build beside the active one; readers switch once it has caught up.
  await requestRebuild(balances, { redis, prefix: store.keys.prefix });
  // #endregion

  // #region reactor
  const welcome = defineReactor(events, {
    name: "welcome-mail",
    source: ["account"],
    handlers: {
      // At least once: key the side effect by event.id.
      Opened: async (event) => sendWelcomeMail(event.data.owner, { idempotencyKey: event.id }),
    },
  });
  const mailer = startReactor(welcome, { redis, store, startFrom: "beginning" });
  // #endregion

  await mailer.stop();
  controller.abort();
  await runner.done;
}

async function sendWelcomeMail(_owner: string, _options: { idempotencyKey: string }) {}
