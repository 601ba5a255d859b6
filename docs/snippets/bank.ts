// The model shared by the documentation's snippets (docs/*.md show its regions).
import { type Decider, defineEvents, type EventOf, versionedEvent } from "@streamstore/core";
import { defineProjection } from "@streamstore/projections";
import { z } from "zod";

// #region events
export const events = defineEvents({
  Opened: z.object({ owner: z.string().min(1) }),
  // Version 1 had no currency: the upcaster turns stored v1 payloads into v2 on every read.
  Deposited: versionedEvent(z.object({ amount: z.number().positive(), currency: z.string() }), {
    version: 2,
    upcasters: { 1: (old) => ({ ...(old as { amount: number }), currency: "EUR" }) },
  }),
  Withdrawn: z.object({ amount: z.number().positive() }),
});
export type AccountEvent = EventOf<typeof events>;
// #endregion

// #region decider
export type AccountCommand =
  | { type: "Open"; owner: string }
  | { type: "Deposit"; amount: number }
  | { type: "Withdraw"; amount: number };
export type Account = { open: boolean; balance: number };

export class InsufficientFunds extends Error {}

export const account: Decider<Account, AccountCommand, AccountEvent> = {
  initialState: () => ({ open: false, balance: 0 }),
  // Mutate the immer draft, or return a new state.
  evolve: (state, event) => {
    if (event.type === "Opened") state.open = true;
    if (event.type === "Deposited") state.balance += event.data.amount;
    if (event.type === "Withdrawn") state.balance -= event.data.amount;
  },
  decide: (command, state) => {
    switch (command.type) {
      case "Open":
        return state.open ? [] : [{ type: "Opened", data: { owner: command.owner } }];
      case "Deposit":
        return [{ type: "Deposited", data: { amount: command.amount, currency: "EUR" } }];
      case "Withdraw":
        if (state.balance < command.amount) throw new InsufficientFunds("insufficient funds");
        return [{ type: "Withdrawn", data: { amount: command.amount } }];
    }
  },
  // Optional: store the state every 100 events; bump schemaVersion when Account or evolve change.
  snapshot: { every: 100, schemaVersion: 1 },
};
// #endregion

// #region projection
export const balances = defineProjection(events, {
  name: "balances",
  version: 1,
  source: ["account"],
  key: (event) => event.streamName,
  initialState: () => ({ balance: 0, movements: 0 }),
  handlers: {
    Deposited: (draft, event) => {
      draft.balance += event.data.amount;
      draft.movements += 1;
    },
    Withdrawn: (draft, event) => {
      draft.balance -= event.data.amount;
      draft.movements += 1;
    },
  },
});
// #endregion
