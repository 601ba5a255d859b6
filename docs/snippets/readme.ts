// README.md "A first example": runs against REDIS_URL, or a Redis on this machine.
//   pnpm exec tsx --conditions=@streamstore/source docs/snippets/readme.ts
// #region first-example
import {
  type Decider,
  defineEvents,
  type EventOf,
  getRedisEventStore,
  handleCommand,
} from "@streamstore/core";
import { Redis } from "ioredis";
import { z } from "zod";

const events = defineEvents({
  Deposited: z.object({ amount: z.number().positive() }),
  Withdrawn: z.object({ amount: z.number().positive() }),
});
type AccountEvent = EventOf<typeof events>;
type Command = { type: "Deposit" | "Withdraw"; amount: number };

const account: Decider<{ balance: number }, Command, AccountEvent> = {
  initialState: () => ({ balance: 0 }),
  evolve: (state, event) => {
    state.balance += event.type === "Deposited" ? event.data.amount : -event.data.amount;
  },
  decide: (command, state) => {
    if (command.type === "Withdraw" && state.balance < command.amount) {
      throw new Error("insufficient funds");
    }
    const type = command.type === "Deposit" ? "Deposited" : "Withdrawn";
    return [{ type, data: { amount: command.amount } }];
  },
};

// process.env.REDIS_URL may be undefined: say what that means (here, a Redis on this machine).
const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
const store = getRedisEventStore({ redis, events });
const { newState, nextExpectedVersion } = await handleCommand(store, "account-42", account, {
  type: "Deposit",
  amount: 100,
});
console.log(newState.balance, nextExpectedVersion);
for await (const event of store.read("account-42", { direction: "backward", limit: 10 })) {
  console.log(event.version, event.type, event.data, event.timestamp);
}
await redis.quit(); // closes the connection, so the process exits
// #endregion
