// The account aggregate as a decider: `decide` turns a command into events (or refuses it),
// `evolve` folds events into the state that the next command is decided on. No I/O: tests run it
// without a store (test/decider.test.ts).
import type { Decider } from "@streamstore/core";
import type { AccountEvent } from "./events.js";

export type AccountCommand =
  | { type: "Open"; owner: string }
  | { type: "Deposit"; amount: number }
  | { type: "Withdraw"; amount: number };

export interface Account {
  open: boolean;
  balance: number;
}

/** A command the account's state does not allow (nothing is appended). */
export class AccountError extends Error {
  override name = "AccountError";
}

export const account: Decider<Account, AccountCommand, AccountEvent> = {
  initialState: () => ({ open: false, balance: 0 }),

  // Mutate the state you are given (a draft: the stored state is never changed), or return a new one.
  evolve: (state, event) => {
    switch (event.type) {
      case "Opened":
        state.open = true;
        break;
      case "Deposited":
        state.balance += event.data.amount;
        break;
      case "Withdrawn":
        state.balance -= event.data.amount;
        break;
    }
  },

  decide: (command, state) => {
    if (command.type === "Open") {
      // Opening twice changes nothing: no events, so running main.ts again is harmless.
      return state.open ? [] : [{ type: "Opened", data: { owner: command.owner } }];
    }
    if (!state.open) throw new AccountError("the account is not open");
    if (command.type === "Deposit") {
      return [{ type: "Deposited", data: { amount: command.amount } }];
    }
    if (state.balance < command.amount) {
      throw new AccountError(
        `insufficient funds: balance ${state.balance}, asked ${command.amount}`,
      );
    }
    return [{ type: "Withdrawn", data: { amount: command.amount } }];
  },
};
