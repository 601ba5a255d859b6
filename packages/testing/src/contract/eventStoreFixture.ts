import { type Decider, defineEvents, type EventOf, type EventStore } from "@streamstore/core";
import { expect } from "vitest";
import { z } from "zod";
import { dumpKeys, type EventStoreContractContext } from "./EventStoreContractContext.js";

// The bank account every part of the EventStore contract runs on, and its helpers.

export const bankEvents = defineEvents({
  Opened: z.object({ owner: z.string() }),
  Deposited: z.object({ amount: z.number().positive() }),
  Withdrawn: z.object({ amount: z.number().positive() }),
});
export type BankEvent = EventOf<typeof bankEvents>;
type Deposit = { amount: number };
export const account: Decider<{ balance: number; count: number }, Deposit, BankEvent> = {
  initialState: () => ({ balance: 0, count: 0 }),
  evolve: (state, event) => {
    state.count += 1;
    if (event.type === "Deposited") state.balance += event.data.amount;
    if (event.type === "Withdrawn") state.balance -= event.data.amount;
  },
  decide: (command) => [{ type: "Deposited", data: { amount: command.amount } }],
};

export async function collect<EventType>(iterable: AsyncIterable<EventType>): Promise<EventType[]> {
  const items: EventType[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

export async function expectRejects(
  promise: Promise<unknown>,
  guard: (error: unknown) => boolean,
): Promise<unknown> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, "expected the call to fail").toBeDefined();
  expect(guard(error), `unexpected error: ${String(error)}`).toBe(true);
  return error;
}

/** Every key under a prefix with its full contents, to prove a refused call wrote nothing. */
export const dumpPrefix = (context: EventStoreContractContext, prefix: string) =>
  dumpKeys(context.redis, `${prefix}:*`);

export const deposit = (amount: number, id?: string) => ({
  type: "Deposited" as const,
  data: { amount },
  ...(id ? { id } : {}),
});

/**
 * What each part of the EventStore contract gets from {@link testEventStore}: the context and
 * store its `beforeAll` set up, and fresh stream names (one counter for the whole suite).
 */
export interface EventStoreSuite {
  current(): { context: EventStoreContractContext; store: EventStore<typeof bankEvents> };
  newStream(): string;
}
