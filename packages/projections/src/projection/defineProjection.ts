import {
  type EventCatalog,
  type EventOf,
  InvalidArgumentError,
  type RecordedEvent,
} from "@streamstore/core";
import { assertCategory } from "@streamstore/core/internal";
import type { Draft } from "immer";

/**
 * What a handler knows besides the event: where the event came from and which document it edits.
 *
 * @example
 * Deposited: (draft, event, context) => { draft.lastPosition = context.position; }
 */
export interface ProjectionContext {
  /** The projection's name. */
  readonly projection: string;
  /** The read-model key the handler edits (what `key(event)` returned). */
  readonly key: string;
  /** The partition log the event was read from. */
  readonly partition: number;
  /** The event's position in that log. */
  readonly position: string;
}

/**
 * The recorded event of one type of a catalog.
 *
 * @example
 * type DepositedEvent = ProjectionEventOf<typeof events, "Deposited">;
 */
export type ProjectionEventOf<
  Catalog extends EventCatalog,
  TypeName extends string = EventOf<Catalog>["type"],
> = RecordedEvent<Extract<EventOf<Catalog>, { type: TypeName }>>;

/**
 * Handlers by event type: each edits the immer draft of the document of `key(event)`. Synchronous
 * and free of side effects (a read model is a fold; side effects belong in reactors): a handler
 * may run more than once for one event (retries, a reload after a concurrent write) but its
 * effect is committed once.
 *
 * @example
 * const handlers: ProjectionHandlers<typeof events, { balance: number }> = {
 *   Deposited: (draft, event) => { draft.balance += event.data.amount; },
 * };
 */
export type ProjectionHandlers<Catalog extends EventCatalog, StateType> = {
  [TypeName in EventOf<Catalog>["type"]]?: (
    draft: Draft<StateType>,
    event: ProjectionEventOf<Catalog, TypeName>,
    context: ProjectionContext,
  ) => void;
};

/**
 * What {@link defineProjection} takes.
 *
 * @example
 * const input: ProjectionDefinitionInput<typeof events, { n: number }> = {
 *   name: "n", version: 1, source: ["account"], key: (e) => e.streamName, initialState: () => ({ n: 0 }), handlers: {},
 * };
 */
export interface ProjectionDefinitionInput<Catalog extends EventCatalog, StateType> {
  /** Names the projection's keys and consumer groups: letters, digits, "_", "." and "-" (1–64). */
  name: string;
  /**
   * The read model's version. Bumping it makes runners build the new version beside the old one,
   * which keeps serving until the new one has caught up (see docs/delivery-guarantees.md).
   */
  version: number;
  /** The categories whose partition logs the projection reads. */
  source: readonly string[];
  /** The read-model document an event edits; events of one key must come from one aggregate for strict order. */
  key: (event: ProjectionEventOf<Catalog>) => string;
  /** The document of a key before its first event. Must be JSON (it is stored as JSON). */
  initialState: (key: string) => StateType;
  /** Handlers by event type; events of other types are skipped (and still advance the checkpoint). */
  handlers: NoInfer<ProjectionHandlers<Catalog, StateType>>;
  /**
   * How to erase a forgotten data subject's personal data from the read model, for projections
   * whose documents copy personal fields: run by `eraseSubject` after `store.forgetSubject`.
   * See docs/personal-data.md.
   */
  personalData?: NoInfer<ProjectionPersonalData<StateType>>;
}

/**
 * The erase hook of a projection: which documents may hold a subject's personal data, and how
 * to remove it from one (an immer draft, as in handlers).
 *
 * @example
 * personalData: { keysOf: (subject) => [subject], erase: (draft) => { draft.email = null; } }
 */
export interface ProjectionPersonalData<StateType> {
  keysOf: (subject: string) => readonly string[];
  erase: (draft: Draft<StateType>, subject: string) => void;
}

/**
 * A projection: a fold of events into one JSON document per key. Run it with `startProjection`,
 * read it with `createProjectionReader` (or the runner's `get`/`getMany`).
 *
 * @example
 * const balances: Projection<typeof events, { balance: number }> = defineProjection(events, { ... });
 */
export interface Projection<Catalog extends EventCatalog = EventCatalog, StateType = unknown> {
  readonly catalog: Catalog;
  readonly name: string;
  readonly version: number;
  readonly source: readonly string[];
  readonly key: (event: ProjectionEventOf<Catalog>) => string;
  readonly initialState: (key: string) => StateType;
  readonly handlers: ProjectionHandlers<Catalog, StateType>;
  readonly personalData?: ProjectionPersonalData<StateType>;
}

/**
 * The document type of a projection.
 *
 * @example
 * type Balance = StateOf<typeof balances>; // { balance: number }
 */
export type StateOf<ProjectionType> =
  ProjectionType extends Projection<EventCatalog, infer StateType> ? StateType : never;

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
// Braces would move the Redis Cluster hash tag; whitespace and control characters make keys that
// print ambiguously. The same rule as aggregate ids in core's keyLayout.
const FORBIDDEN_KEY_CHARACTER = /[{}\p{Cc}\p{Cf}\p{Z}\s]/u;

/**
 * Checks a read-model key (what `key(event)` returns, what `get(key)` takes).
 *
 * @example
 * assertReadModelKey("cart-42");
 */
export function assertReadModelKey(key: unknown): string {
  if (
    typeof key !== "string" ||
    key.length === 0 ||
    key.length > 512 ||
    FORBIDDEN_KEY_CHARACTER.test(key) ||
    !key.isWellFormed()
  ) {
    throw new InvalidArgumentError(
      "read-model key",
      `${JSON.stringify(key)} must be a string of 1–512 characters without braces, whitespace or control characters: fix the projection's key(event).`,
    );
  }
  return key;
}

/**
 * Defines a projection over an event catalog. Handlers are typed from the catalog: a handler for
 * a type the catalog lacks, or a wrong payload access, does not compile.
 *
 * @example
 * const balances = defineProjection(events, {
 *   name: "balances",
 *   version: 1,
 *   source: ["account"],
 *   key: (event) => event.streamName,
 *   initialState: () => ({ balance: 0 }),
 *   handlers: {
 *     Deposited: (draft, event) => { draft.balance += event.data.amount; },
 *     Withdrawn: (draft, event) => { draft.balance -= event.data.amount; },
 *   },
 * });
 */
export function defineProjection<Catalog extends EventCatalog, StateType>(
  catalog: Catalog,
  definition: ProjectionDefinitionInput<Catalog, StateType>,
): Projection<Catalog, StateType> {
  if (!NAME.test(definition.name)) {
    throw new InvalidArgumentError(
      "projection name",
      `${JSON.stringify(definition.name)} must be 1–64 letters, digits, "_", "." or "-".`,
    );
  }
  if (!Number.isSafeInteger(definition.version) || definition.version < 1) {
    throw new InvalidArgumentError(
      "projection version",
      `${String(definition.version)} must be an integer >= 1; bump it to rebuild the read model.`,
    );
  }
  if (!Array.isArray(definition.source) || definition.source.length === 0) {
    throw new InvalidArgumentError("projection source", "give at least one category to read.");
  }
  for (const category of definition.source) assertCategory(category);
  for (const type of Object.keys(definition.handlers)) {
    if (catalog.get(type) === undefined) {
      throw new InvalidArgumentError(
        "projection handlers",
        `"${type}" is not an event type of the catalog (known: ${catalog.types.join(", ")}).`,
      );
    }
  }
  return {
    catalog,
    name: definition.name,
    version: definition.version,
    source: [...new Set(definition.source)],
    key: definition.key,
    initialState: definition.initialState,
    handlers: definition.handlers as ProjectionHandlers<Catalog, StateType>,
    ...(definition.personalData ? { personalData: definition.personalData } : {}),
  };
}
