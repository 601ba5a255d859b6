import { defineEvents } from "@streamstore/core";
import { defineProjection } from "@streamstore/projections";
import { z } from "zod";

/** The life of an order. */
export const orderEvents = defineEvents({
  OrderPlaced: z.object({ total: z.number().nonnegative() }),
  OrderPaid: z.object({ total: z.number().nonnegative() }),
  OrderShipped: z.object({ carrier: z.string() }),
});

/** Counts of orders per stage, and revenue. */
export interface OrderTotals {
  placed: number;
  paid: number;
  shipped: number;
  revenue: number;
}

/**
 * One document with shop-wide totals. Every handler only adds, so the order in which two
 * orders' events are applied does not matter.
 *
 * @example
 * const runner = startProjection(orderTotals, { redis, store });
 */
export const orderTotals = defineProjection(orderEvents, {
  name: "order-totals",
  version: 1,
  source: ["order"],
  key: () => "shop",
  initialState: (): OrderTotals => ({ placed: 0, paid: 0, shipped: 0, revenue: 0 }),
  handlers: {
    OrderPlaced: (draft) => {
      draft.placed++;
    },
    OrderPaid: (draft, event) => {
      draft.paid++;
      draft.revenue += event.data.total;
    },
    OrderShipped: (draft) => {
      draft.shipped++;
    },
  },
});
