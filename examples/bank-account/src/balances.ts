import { defineProjection } from "@streamstore/projections";
import { accountEvents } from "./account.js";

/** A read model: one document per account, kept up to date from the account category log. */
export interface BalanceView {
  owner: string;
  balance: number;
  deposits: number;
  withdrawals: number;
}

/**
 * The balances projection: what a "my accounts" screen reads, without loading any aggregate.
 *
 * @example
 * const runner = startProjection(balances, { redis, store });
 */
export const balances = defineProjection(accountEvents, {
  name: "balances",
  version: 1,
  source: ["account"],
  key: (event) => event.streamName,
  initialState: (): BalanceView => ({ owner: "", balance: 0, deposits: 0, withdrawals: 0 }),
  handlers: {
    AccountOpened: (draft, event) => {
      draft.owner = event.data.owner;
    },
    Deposited: (draft, event) => {
      draft.balance += event.data.amount;
      draft.deposits++;
    },
    Withdrawn: (draft, event) => {
      draft.balance -= event.data.amount;
      draft.withdrawals++;
    },
  },
});
