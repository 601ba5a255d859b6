import { type Draft, produce } from "immer";
import type { AnyEvent } from "../events/types.js";
import type { Decider } from "./Decider.js";

/**
 * Folds events into a state with the decider's `evolve`, through immer: `evolve` may mutate its
 * draft or return a new state; the input state is never changed.
 *
 * @example
 * const state = evolveAll(account, account.initialState(), events);
 */
export function evolveAll<StateType, EventType extends AnyEvent>(
  decider: Pick<Decider<StateType, unknown, EventType>, "evolve">,
  state: StateType,
  events: Iterable<EventType>,
): StateType {
  let current = state;
  for (const event of events) {
    // evolve may return a whole new state instead of mutating: immer accepts either.
    current = produce(
      current,
      (draft) => decider.evolve(draft, event) as Draft<StateType> | undefined,
    ) as StateType;
  }
  return current;
}
