// A reactor: a side effect for each new event (here, a receipt for each withdrawal). Delivered at
// least once: a handler can run twice for one event, so the side effect is keyed by event.id.
import { defineReactor } from "@streamstore/projections";
import { events } from "./events.js";

/** Sends a receipt: an e-mail service in a real app, the console in main.ts. */
export type SendReceipt = (receipt: { to: string; text: string; id: string }) => Promise<void>;

export function receipts(send: SendReceipt) {
  return defineReactor(events, {
    name: "receipts",
    source: ["account"],
    handlers: {
      Withdrawn: async (event) => {
        await send({
          to: event.streamName,
          text: `you withdrew ${event.data.amount}`,
          id: event.id,
        });
      },
    },
  });
}
