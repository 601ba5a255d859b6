// docs/getting-started.md, after the tutorial: appends and reads by hand, on the tutorial's store
// (examples/tutorial/src/commands.ts). Runs on the in-memory fake:
//   pnpm exec tsx --conditions=@streamstore/source docs/snippets/getting-started.ts
import { createFakeRedis } from "@streamstore/testing";
import { createAccountStore } from "../../examples/tutorial/src/commands.js";

const redis = createFakeRedis();
const store = createAccountStore(redis, "tutorial");

// #region append
const opened = await store.append("account-42", [{ type: "Opened", data: { owner: "Ada" } }], {
  expectedVersion: "no_stream",
});
await store.append(
  "account-42",
  [{ type: "Deposited", data: { amount: 100 } }],
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

for await (const event of newestFirst) console.log("newest first:", event.version, event.type);
await redis.quit();
