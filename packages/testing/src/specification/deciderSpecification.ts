import { AssertionError } from "node:assert";
import { inspect, isDeepStrictEqual } from "node:util";
import type { AnyEvent, Decider, NewEvent } from "@streamstore/core";
import { evolveAll } from "@streamstore/core/internal";

/** An error class, or a predicate over the thrown value. */
export type ErrorExpectation =
  | (abstract new (
      ...args: never[]
    ) => unknown)
  | ((error: unknown) => boolean);

/** The `then…` half of a decider specification: what must have happened. */
export interface DeciderThen<EventType extends AnyEvent> {
  /** The command produced exactly these events (type and data, in order; ids and metadata ignored). */
  then(expectedEvents: EventType | readonly EventType[]): Promise<void>;
  /** The command threw an error of this class, or one the predicate accepts. */
  thenThrows(expectation: ErrorExpectation): Promise<void>;
  /** The command produced no events. */
  thenNothingHappened(): Promise<void>;
}

/** The `when` of a decider specification. */
export interface DeciderWhen<CommandType, EventType extends AnyEvent> {
  when(command: CommandType): DeciderThen<EventType>;
}

const show = (value: unknown) => inspect(value, { depth: 8, breakLength: 100, sorted: true });

function comparable(events: readonly NewEvent[]): AnyEvent[] {
  return events.map((event) => ({ type: event.type, data: event.data }));
}

/**
 * Given/when/then for deciders, without a store: the given events are folded with `evolve`, the
 * command is decided, and the outcome is compared. Failures are `AssertionError`s carrying
 * `expected` and `actual`, so test runners show a diff of the events.
 *
 * @example
 * const given = deciderSpecification(account);
 * await given([{ type: "Deposited", data: { amount: 10 } }])
 *   .when({ type: "Withdraw", amount: 3 })
 *   .then([{ type: "Withdrawn", data: { amount: 3 } }]);
 * await given([]).when({ type: "Withdraw", amount: 3 }).thenThrows(InsufficientFunds);
 */
export function deciderSpecification<StateType, CommandType, EventType extends AnyEvent>(
  decider: Decider<StateType, CommandType, EventType>,
): (givenEvents?: readonly EventType[]) => DeciderWhen<CommandType, EventType> {
  return (givenEvents = []) => ({
    when(command) {
      const run = async (): Promise<{ events?: AnyEvent[]; error?: unknown }> => {
        try {
          const state = evolveAll(decider, decider.initialState(), givenEvents);
          const decided = await decider.decide(command, state);
          return { events: comparable(Array.isArray(decided) ? decided : [decided as NewEvent]) };
        } catch (error) {
          return { error };
        }
      };
      const fail = (message: string, actual: unknown, expected: unknown): never => {
        throw new AssertionError({ message, actual, expected, operator: "deepStrictEqual" });
      };
      return {
        // biome-ignore lint/suspicious/noThenProperty: given/when/then is the API users asked for; awaiting when(...) is handled below.
        async then(expectedEvents, ...thenableRest: unknown[]) {
          // \`await given(...).when(...)\` would call then(resolve, reject): answer instead of hanging.
          if (typeof expectedEvents === "function") {
            const reject = thenableRest[0] as (error: unknown) => void;
            reject(
              new TypeError(
                "[streamstore] call .then(expectedEvents), .thenThrows(...) or .thenNothingHappened() on when(...) instead of awaiting it.",
              ),
            );
            return;
          }
          const expected = comparable(
            (Array.isArray(expectedEvents)
              ? expectedEvents
              : [expectedEvents]) as readonly NewEvent[],
          );
          const outcome = await run();
          if (outcome.error !== undefined) {
            fail(
              `expected events but the command threw: ${show(outcome.error)}`,
              outcome.error,
              expected,
            );
          }
          if (!isDeepStrictEqual(outcome.events, expected)) {
            fail(
              `the command produced other events than expected:\nexpected ${show(expected)}\nactual   ${show(outcome.events)}`,
              outcome.events,
              expected,
            );
          }
        },
        async thenThrows(expectation) {
          const outcome = await run();
          if (outcome.error === undefined) {
            fail(
              `expected the command to throw, but it produced ${show(outcome.events)}`,
              outcome.events,
              "an error",
            );
          }
          // A class (class syntax, or a built-in error such as TypeError) is matched with
          // instanceof; any other function is a predicate.
          const prototype = (expectation as { prototype?: unknown }).prototype;
          const isClass =
            /^class\s/.test(Function.prototype.toString.call(expectation)) ||
            expectation === Error ||
            prototype instanceof Error;
          const matches = isClass
            ? outcome.error instanceof (expectation as abstract new (...args: never[]) => unknown)
            : (expectation as (error: unknown) => boolean)(outcome.error);
          if (!matches) {
            fail(
              `the command threw an unexpected error: ${show(outcome.error)}`,
              outcome.error,
              expectation,
            );
          }
        },
        async thenNothingHappened() {
          const outcome = await run();
          if (outcome.error !== undefined) {
            fail(
              `expected no events but the command threw: ${show(outcome.error)}`,
              outcome.error,
              [],
            );
          }
          if ((outcome.events ?? []).length > 0) {
            fail(
              `expected no events, the command produced ${show(outcome.events)}`,
              outcome.events,
              [],
            );
          }
        },
      };
    },
  });
}
