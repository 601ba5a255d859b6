import { type EventCatalog, type EventOf, InvalidArgumentError } from "@streamstore/core";
import { assertCategory } from "@streamstore/core/internal";
import type { ProjectionEventOf } from "../projection/defineProjection.js";

/**
 * What a reactor handler knows besides the event.
 *
 * @example
 * Opened: async (event, context) => { if (context.signal.aborted) return; await send(event); }
 */
export interface ReactorContext {
  /** The reactor's name. */
  readonly reactor: string;
  /** How many times this event was handed to a handler so far, this one included (1 = first). */
  readonly attempt: number;
  /** Aborted when the worker stops: long side effects should give up and let another worker retry. */
  readonly signal: AbortSignal;
}

/**
 * Async handlers by event type: side effects (send an email, call an API).
 *
 * @example
 * const handlers: ReactorHandlers<typeof events> = { Opened: async (event) => mailer.send(event.data.owner) };
 */
export type ReactorHandlers<Catalog extends EventCatalog> = {
  [TypeName in EventOf<Catalog>["type"]]?: (
    event: ProjectionEventOf<Catalog, TypeName>,
    context: ReactorContext,
  ) => Promise<void> | void;
};

/**
 * What {@link defineReactor} takes.
 *
 * @example
 * const input: ReactorDefinitionInput<typeof events> = { name: "mailer", source: ["account"], handlers: {} };
 */
export interface ReactorDefinitionInput<Catalog extends EventCatalog> {
  /** Names the reactor's consumer group and keys: letters, digits, "_", "." and "-" (1–64). */
  name: string;
  /** The categories whose partition logs it reads. */
  source: readonly string[];
  /** Handlers by event type; events of other types are acked without a call. */
  handlers: ReactorHandlers<Catalog>;
}

/**
 * A reactor: side effects for events, run by competing consumers (see `startReactor`).
 * Delivery is **at least once**: a handler may run again for an event whose ack was lost (a
 * worker died after the side effect, before XACK), so side effects must be idempotent (use
 * `event.id` as an idempotency key). There is no order between events, not even of one aggregate.
 *
 * @example
 * const mailer: Reactor<typeof events> = defineReactor(events, { name: "mailer", source: ["account"], handlers: {} });
 */
export interface Reactor<Catalog extends EventCatalog = EventCatalog> {
  readonly catalog: Catalog;
  readonly name: string;
  readonly source: readonly string[];
  readonly handlers: ReactorHandlers<Catalog>;
}

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Defines a reactor over an event catalog; handlers are typed from the catalog.
 *
 * @example
 * const welcome = defineReactor(events, {
 *   name: "welcome-mail",
 *   source: ["account"],
 *   handlers: { Opened: async (event) => mailer.send(event.data.owner, { idempotencyKey: event.id }) },
 * });
 */
export function defineReactor<Catalog extends EventCatalog>(
  catalog: Catalog,
  definition: ReactorDefinitionInput<Catalog>,
): Reactor<Catalog> {
  if (!NAME.test(definition.name)) {
    throw new InvalidArgumentError(
      "reactor name",
      `${JSON.stringify(definition.name)} must be 1–64 letters, digits, "_", "." or "-".`,
    );
  }
  if (!Array.isArray(definition.source) || definition.source.length === 0) {
    throw new InvalidArgumentError("reactor source", "give at least one category to read.");
  }
  for (const category of definition.source) assertCategory(category);
  for (const type of Object.keys(definition.handlers)) {
    if (catalog.get(type) === undefined) {
      throw new InvalidArgumentError(
        "reactor handlers",
        `"${type}" is not an event type of the catalog (known: ${catalog.types.join(", ")}).`,
      );
    }
  }
  return {
    catalog,
    name: definition.name,
    source: [...new Set(definition.source)],
    handlers: definition.handlers,
  };
}
