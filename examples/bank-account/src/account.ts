import { type Decider, defineEvents, type EventOf } from "@streamstore/core";
import { z } from "zod";

/** The events of a bank account, validated on every append and every read. */
export const accountEvents = defineEvents({
  AccountOpened: z.object({ owner: z.string().min(1) }),
  Deposited: z.object({ amount: z.number().positive() }),
  Withdrawn: z.object({ amount: z.number().positive() }),
});

/** One event of {@link accountEvents}. */
export type AccountEvent = EventOf<typeof accountEvents>;

/** What a client can ask an account to do. */
export type AccountCommand =
  | { type: "Open"; owner: string }
  | { type: "Deposit"; amount: number }
  | { type: "Withdraw"; amount: number };

/** The state `decide` needs: whether the account is open, and its balance. */
export interface AccountState {
  open: boolean;
  balance: number;
}

/** A withdrawal larger than the balance. */
export class InsufficientFundsError extends Error {
  override readonly name = "InsufficientFundsError";
  constructor(
    readonly balance: number,
    readonly requested: number,
  ) {
    super(`insufficient funds: balance ${balance}, requested ${requested}`);
  }
}

/** A command other than Open on an account that was never opened, or Open twice. */
export class AccountStateError extends Error {
  override readonly name = "AccountStateError";
}

/**
 * The account as a decider: `decide` enforces the rules, `evolve` folds events (mutating the
 * immer draft it is given).
 *
 * @example
 * await handleCommand(store, "account-alice", account, { type: "Deposit", amount: 100 });
 */
export const account: Decider<AccountState, AccountCommand, AccountEvent> = {
  initialState: () => ({ open: false, balance: 0 }),
  evolve: (state, event) => {
    switch (event.type) {
      case "AccountOpened":
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
      if (state.open) throw new AccountStateError("the account is already open");
      return { type: "AccountOpened", data: { owner: command.owner } };
    }
    if (!state.open) throw new AccountStateError("open the account first");
    if (command.type === "Deposit") return { type: "Deposited", data: { amount: command.amount } };
    if (state.balance < command.amount) {
      throw new InsufficientFundsError(state.balance, command.amount);
    }
    return { type: "Withdrawn", data: { amount: command.amount } };
  },
};
