import type { Draft } from "immer";
import type { z } from "zod";
import type { AnyEvent, NewEvent } from "../events/types.js";

/** A value, or a promise of it. */
export type MaybePromise<ValueType> = ValueType | Promise<ValueType>;

/** Opt-in snapshots of a decider's state. */
export interface SnapshotPolicy<StateType> {
  /** Store a snapshot each time the stream's version crosses a multiple of `every`. */
  every: number;
  /**
   * The version of the state's shape. Bump it whenever `evolve` or the state type changes:
   * snapshots of any other schema version are ignored, never trusted.
   */
  schemaVersion: number;
  /** Optional schema checked on load; a snapshot that fails it is ignored. */
  schema?: z.ZodType<StateType>;
}

/**
 * A decider: the pure heart of an aggregate. `decide` turns a command and the current state into
 * new events (or throws a domain error); `evolve` folds one event into the state, either by
 * returning the next state or by mutating the immer draft it is given.
 *
 * @example
 * const account: Decider<{ balance: number }, Deposit, BankEvent> = {
 *   initialState: () => ({ balance: 0 }),
 *   evolve: (state, event) => { if (event.type === "Deposited") state.balance += event.data.amount; },
 *   decide: (command) => [{ type: "Deposited", data: { amount: command.amount } }],
 * };
 */
export interface Decider<StateType, CommandType, EventType extends AnyEvent> {
  initialState: () => StateType;
  evolve: (
    state: Draft<StateType>,
    event: EventType,
  ) => StateType | Draft<StateType> | undefined | undefined;
  decide: (
    command: CommandType,
    state: StateType,
  ) => MaybePromise<NewEvent<EventType> | NewEvent<EventType>[]>;
  snapshot?: SnapshotPolicy<StateType>;
}
