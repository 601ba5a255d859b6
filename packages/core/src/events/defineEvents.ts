import type { z } from "zod";
import { InvalidArgumentError } from "../errors/index.js";
import { type PersonalDataShape, personalDataShapeOf } from "../personalData/personal.js";

/** Turns the payload of an older schema version into the payload of the next version. */
export type Upcaster = (data: unknown) => unknown;

/**
 * An event type with a schema version and upcasters from its older versions.
 * Create with {@link versionedEvent}.
 */
export interface VersionedEventDefinition<SchemaType extends z.ZodType = z.ZodType> {
  readonly kind: "versioned";
  readonly schema: SchemaType;
  /** The current schema version (1 for a type that never changed). */
  readonly version: number;
  /** `upcasters[n]` turns a version-n payload into version n+1, for every n below `version`. */
  readonly upcasters: Readonly<Record<number, Upcaster>>;
}

/** What `defineEvents` takes per event type: a zod schema, or a versioned definition. */
export type EventDefinitionInput = z.ZodType | VersionedEventDefinition;

type SchemaOf<Definition> =
  Definition extends VersionedEventDefinition<infer SchemaType>
    ? SchemaType
    : Definition extends z.ZodType
      ? Definition
      : never;

/** The event types a catalog knows, by name. */
export type EventDefinitions = Record<string, EventDefinitionInput>;

/** The union of `{ type, data }` of a catalog, with `data` as the schema outputs it. */
export type EventOf<Catalog extends EventCatalog> =
  Catalog extends EventCatalog<infer Definitions>
    ? {
        [TypeName in keyof Definitions & string]: {
          type: TypeName;
          data: z.output<SchemaOf<Definitions[TypeName]>>;
        };
      }[keyof Definitions & string]
    : never;

/** The union of `{ type, data }` accepted for appends, with `data` as the schema takes it in. */
export type EventInputOf<Catalog extends EventCatalog> =
  Catalog extends EventCatalog<infer Definitions>
    ? {
        [TypeName in keyof Definitions & string]: {
          type: TypeName;
          data: z.input<SchemaOf<Definitions[TypeName]>>;
        };
      }[keyof Definitions & string]
    : never;

/** The resolved definition of one event type. */
export interface EventTypeDefinition {
  readonly type: string;
  readonly schema: z.ZodType;
  readonly version: number;
  readonly upcasters: Readonly<Record<number, Upcaster>>;
  /** Its `personal()` fields and `dataSubject()` field; undefined when it has none. */
  readonly personal?: PersonalDataShape;
}

/**
 * A typed catalog of event types, made by {@link defineEvents}. The `Definitions` type parameter
 * carries the schemas, so appends and handlers are checked at compile time.
 */
export interface EventCatalog<Definitions extends EventDefinitions = EventDefinitions> {
  /** The event type names. (Typed as plain strings so a specific catalog is assignable to the general one.) */
  readonly types: readonly string[];
  /** The definition of a type, or undefined when the catalog does not know it. */
  get(type: string): EventTypeDefinition | undefined;
  /** Type-level only: the definitions this catalog was made from. */
  readonly definitions: Definitions;
  /** Whether some event type has `personal()` fields (see docs/personal-data.md). */
  readonly hasPersonalData?: boolean;
}

/**
 * Declares a schema version of an event type, with upcasters from each older version.
 *
 * @example
 * const events = defineEvents({
 *   Deposited: versionedEvent(z.object({ amount: z.number(), currency: z.string() }), {
 *     version: 2,
 *     upcasters: { 1: (old) => ({ ...(old as object), currency: "EUR" }) },
 *   }),
 * });
 */
export function versionedEvent<SchemaType extends z.ZodType>(
  schema: SchemaType,
  options: { version: number; upcasters: Record<number, Upcaster> },
): VersionedEventDefinition<SchemaType> {
  if (!Number.isSafeInteger(options.version) || options.version < 1) {
    throw new InvalidArgumentError(
      "schema version",
      `${String(options.version)} is not a positive integer: versions start at 1.`,
    );
  }
  for (let version = 1; version < options.version; version++) {
    if (typeof options.upcasters[version] !== "function") {
      throw new InvalidArgumentError(
        "upcasters",
        `no upcaster from version ${version} to ${version + 1}: give one for every version below ${options.version}.`,
      );
    }
  }
  return { kind: "versioned", schema, version: options.version, upcasters: options.upcasters };
}

function isVersioned(definition: EventDefinitionInput): definition is VersionedEventDefinition {
  return (definition as Partial<VersionedEventDefinition>).kind === "versioned";
}

const TYPE_NAME = /^[A-Za-z][A-Za-z0-9_.:]{0,127}$/;

/**
 * Defines the event types of a domain, each with a zod schema. The catalog types every append
 * and handler; at run time every payload is validated before it is written and after it is read.
 *
 * @example
 * const events = defineEvents({
 *   Deposited: z.object({ amount: z.number().positive() }),
 *   Withdrawn: z.object({ amount: z.number().positive() }),
 * });
 * type BankEvent = EventOf<typeof events>;
 */
export function defineEvents<Definitions extends EventDefinitions>(
  definitions: Definitions,
): EventCatalog<Definitions> {
  const byType = new Map<string, EventTypeDefinition>();
  for (const [type, definition] of Object.entries(definitions)) {
    if (!TYPE_NAME.test(type)) {
      throw new InvalidArgumentError(
        "event type name",
        `"${type}" must start with a letter and use only letters, digits, "_", "." and ":" (at most 128 characters).`,
      );
    }
    const resolved: EventTypeDefinition = isVersioned(definition)
      ? {
          type,
          schema: definition.schema,
          version: definition.version,
          upcasters: definition.upcasters,
        }
      : { type, schema: definition, version: 1, upcasters: {} };
    const personal = personalDataShapeOf(resolved.schema);
    byType.set(type, personal ? { ...resolved, personal } : resolved);
  }
  return {
    types: [...byType.keys()],
    get: (type) => byType.get(type),
    definitions,
    hasPersonalData: [...byType.values()].some((definition) => definition.personal),
  };
}
