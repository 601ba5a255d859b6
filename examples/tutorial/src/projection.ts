// A read model: one JSON document per account, kept up to date from the account events by a
// projection runner (startProjection) and read with runner.get / createProjectionReader.
import { defineProjection } from "@streamstore/projections";
import { events } from "./events.js";

export interface Balance {
  owner: string;
  balance: number;
  movements: number;
}

export const balances = defineProjection(events, {
  name: "balances",
  version: 1, // bump it when the handlers change: the read model is rebuilt beside the old one
  source: ["account"], // the categories it reads: streams named account-<id>
  key: (event) => event.streamName, // the document an event changes
  initialState: (): Balance => ({ owner: "", balance: 0, movements: 0 }),
  handlers: {
    // Synchronous and pure: edit the document you are given; each event is applied once.
    Opened: (balance, event) => {
      balance.owner = event.data.owner;
    },
    Deposited: (balance, event) => {
      balance.balance += event.data.amount;
      balance.movements += 1;
    },
    Withdrawn: (balance, event) => {
      balance.balance -= event.data.amount;
      balance.movements += 1;
    },
  },
});
