// The event catalog: every event an account can have, each with the zod schema of its data.
// The store validates data against it before writing and after reading.
import { defineEvents, type EventOf } from "@streamstore/core";
import { z } from "zod";

export const events = defineEvents({
  Opened: z.object({ owner: z.string().min(1) }),
  Deposited: z.object({ amount: z.number().positive() }),
  Withdrawn: z.object({ amount: z.number().positive() }),
});

// One event of the catalog, typed from the schemas: { type: "Deposited"; data: { amount: number } } | …
export type AccountEvent = EventOf<typeof events>;
