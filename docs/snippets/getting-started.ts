// docs/getting-started.md. Runs on the in-memory fake: pnpm exec tsx --conditions=@streamstore/source docs/snippets/getting-started.ts
// #region store
import { connectRedis, getRedisEventStore, handleCommand } from "@streamstore/core";
import { createFakeRedis } from "@streamstore/testing";
import { account, events } from "./bank.js";

// connectRedis: a ready client within 5 s or a typed error, no hang during an outage (connecting.md).
const redis = process.env.REDIS_URL ? await connectRedis(process.env.REDIS_URL) : createFakeRedis();
const store = getRedisEventStore({
  redis,
  events,
  prefix: "bank",
  // The fake has no server settings to check; a real Redis is checked once (version, eviction, persistence).
  serverCheck: process.env.REDIS_URL ? "check" : "off",
});
// #endregion

// #region append
const opened = await store.append("account-42", [{ type: "Opened", data: { owner: "Ada" } }], {
  expectedVersion: "no_stream",
});
await store.append(
  "account-42",
  [{ type: "Deposited", data: { amount: 100, currency: "EUR" } }],
  { expectedVersion: opened.nextExpectedVersion }, // 1
);
// #endregion

// #region read
for await (const event of store.read("account-42")) {
  console.log(event.version, event.type, event.data, event.timestamp.toISOString());
}
const newestFirst = store.read("account-42", { direction: "backward", limit: 10 });
// #endregion

// #region read-category
// One page of the whole category (every partition, merged by position), then the next one.
const page = await store.readCategory("account", { limit: 500 });
if (!page.done) {
  const following = await store.readCategory("account", { limit: 500, cursor: page.next });
  console.log(following.events.length);
}
// Every event since a time, page by page: for audits and backfills.
for await (const event of store.iterateCategory("account", {
  from: `${Date.now() - 86_400_000}-0`,
})) {
  console.log(event.streamName, event.version, event.position, event.partition);
}
// #endregion

// #region command
const { newState, nextExpectedVersion } = await handleCommand(store, "account-42", account, {
  type: "Withdraw",
  amount: 30,
});
console.log(newState.balance, nextExpectedVersion); // 70 3
// #endregion

for await (const event of newestFirst) console.log("newest first:", event.version, event.type);
redis.disconnect();
