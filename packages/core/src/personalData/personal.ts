import { z } from "zod";
import { InvalidDataSubjectError } from "./errors.js";

/**
 * What a personal field reads back as once its subject was forgotten (its key destroyed): the
 * value is gone for good, the rest of the event is intact. Check with {@link isForgotten}.
 *
 * @example
 * const email = isForgotten(event.data.email) ? "(forgotten)" : event.data.email;
 */
export interface Forgotten {
  readonly forgotten: true;
}

/** The one {@link Forgotten} value reads return (frozen: handlers cannot mutate it). */
export const FORGOTTEN: Forgotten = Object.freeze({ forgotten: true as const });

/**
 * Whether a personal field's value was forgotten.
 *
 * @example
 * if (isForgotten(event.data.name)) return;
 */
export function isForgotten(value: unknown): value is Forgotten {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { forgotten?: unknown }).forgotten === true &&
    Object.keys(value).length === 1
  );
}

const forgottenSchema = z.object({ forgotten: z.literal(true) }).strict();

/**
 * A personal field: its schema as appended (`z.input`), but `T | Forgotten` when read back, so
 * the type of every event read says which fields may be forgotten.
 */
export type PersonalField<SchemaType extends z.ZodType> = z.ZodType<
  z.output<SchemaType> | Forgotten,
  z.input<SchemaType>
>;

const personalSchemas = new WeakSet<z.ZodType>();
const subjectSchemas = new WeakSet<z.ZodType>();

/**
 * Marks a top-level field of an event's `z.object` schema as personal data: it is encrypted with
 * its data subject's key on append, and reads back as {@link Forgotten} once the subject is
 * forgotten (`store.forgetSubject`). Zod parses a forgotten value without error.
 *
 * @example
 * const events = defineEvents({
 *   CustomerRegistered: z.object({
 *     customerId: dataSubject(z.string()),
 *     email: personal(z.string().email()),
 *     name: personal(z.string()),
 *   }),
 * });
 */
export function personal<SchemaType extends z.ZodType>(
  schema: SchemaType,
): PersonalField<SchemaType> {
  const field = z.union([schema, forgottenSchema]);
  personalSchemas.add(field);
  return field as unknown as PersonalField<SchemaType>;
}

/**
 * Marks the top-level field whose value names the event's data subject (an opaque id: 1–128
 * letters, digits, `_ . @ + -`). An event type with personal fields and no such field takes its
 * subject from `metadata.dataSubject`.
 *
 * @example
 * z.object({ customerId: dataSubject(z.string()), email: personal(z.string()) })
 */
export function dataSubject<SchemaType extends z.ZodType<string>>(schema: SchemaType): SchemaType {
  subjectSchemas.add(schema);
  return schema;
}

/** What the catalog knows of an event type's personal data. */
export interface PersonalDataShape {
  /** The top-level fields marked `personal()`. */
  readonly fields: readonly string[];
  /** The field marked `dataSubject()`, if any (else `metadata.dataSubject`). */
  readonly subjectField: string | undefined;
}

/** The personal fields of a schema, or undefined when it has none (the common case). */
export function personalDataShapeOf(schema: z.ZodType): PersonalDataShape | undefined {
  const shape = (schema as { shape?: Record<string, z.ZodType> }).shape;
  if (typeof shape !== "object" || shape === null) return undefined;
  const fields: string[] = [];
  let subjectField: string | undefined;
  for (const [name, fieldSchema] of Object.entries(shape)) {
    if (personalSchemas.has(fieldSchema)) fields.push(name);
    if (subjectSchemas.has(fieldSchema)) subjectField = name;
  }
  return fields.length > 0 ? { fields, subjectField } : undefined;
}

const SUBJECT_ID = /^[A-Za-z0-9_.@+-]{1,128}$/;

/** Checks a data subject id (throws {@link InvalidDataSubjectError}) and returns it. */
export function assertDataSubject(subject: unknown): string {
  if (typeof subject !== "string") throw new InvalidDataSubjectError(subject, "it is not a string");
  if (subject.length === 0) throw new InvalidDataSubjectError(subject, "it is empty");
  if (subject.length > 128)
    throw new InvalidDataSubjectError(subject, `it has ${subject.length} characters, over 128`);
  if (!SUBJECT_ID.test(subject))
    throw new InvalidDataSubjectError(subject, "it holds a character that is not allowed");
  return subject;
}
