// Command handling: load an account's events, decide, append at the version that was loaded.
// When another writer appended in between, handleCommand reloads and decides again.
import { type EventStore, getRedisEventStore, handleCommand } from "@streamstore/core";
import type { Redis } from "ioredis";
import { type AccountCommand, account } from "./decider.js";
import { events } from "./events.js";

export type AccountStore = EventStore<typeof events>;

/** The event store of accounts: every key it writes starts with `<prefix>:`. */
export function createAccountStore(redis: Redis, prefix: string): AccountStore {
  return getRedisEventStore({ redis, events, prefix });
}

/** Runs one command on account `id` (the stream `account-<id>`); resolves to the new state. */
export async function execute(store: AccountStore, id: string, command: AccountCommand) {
  return handleCommand(store, `account-${id}`, account, command);
}
