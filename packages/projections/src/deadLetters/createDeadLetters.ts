import { decodeEntry, type EventCatalog, type RecordedEvent } from "@streamstore/core";
import { type KeyRing, subjectsOfEntries } from "@streamstore/core/internal";
import { produce } from "immer";
import { DeadLetterNotFoundError } from "../errors.js";
import { buildId } from "../keys/projectionKeys.js";
import { assertReadModelKey, type Projection } from "../projection/defineProjection.js";
import type { DeadLetter, ReadModelStore } from "../readModel/ReadModelStore.js";

/**
 * Lists, retries and discards the dead letters of a projection build.
 *
 * @example
 * const letters = await runner.deadLetters.list({ count: 10 });
 */
export interface DeadLetters {
  /** Dead letters, oldest first (`after`: continue after this id; `count`: page size, default 100). */
  list(options?: { after?: string; count?: number }): Promise<DeadLetter[]>;
  /**
   * Applies a dead letter's event once with the current handlers and removes the dead letter in
   * the same atomic step: retried twice (or concurrently), it is applied once. A handler that
   * throws again leaves the dead letter as it was (and the error is thrown). The event is applied
   * after the events that followed it in the log (document it in the handler if order matters).
   */
  retry(deadLetterId: string): Promise<{ key: string | undefined }>;
  /** Removes a dead letter without applying it. */
  discard(deadLetterId: string): Promise<void>;
}

type Handler = (draft: unknown, event: RecordedEvent, context: object) => void;

/**
 * The dead-letter API of a projection build (default: the projection's version).
 *
 * @example
 * const deadLetters = createDeadLetters(balances, { readModel });
 * for (const letter of await deadLetters.list()) await deadLetters.retry(letter.id);
 */
export function createDeadLetters<Catalog extends EventCatalog, StateType>(
  projection: Projection<Catalog, StateType>,
  options: { readModel: ReadModelStore; build?: string; personalData?: KeyRing },
): DeadLetters {
  const { readModel } = options;
  const build = options.build ?? buildId(projection.version);
  const handlers = projection.handlers as Record<string, Handler | undefined>;
  return {
    list: (listOptions) => readModel.listDeadLetters(build, listOptions),

    async retry(deadLetterId) {
      const letter = await readModel.getDeadLetter(build, deadLetterId);
      if (!letter) throw new DeadLetterNotFoundError(projection.name, deadLetterId);
      const separator = letter.partition.lastIndexOf(":");
      const category = letter.partition.slice(0, separator);
      const partition = Number(letter.partition.slice(separator + 1));
      const fields = Object.entries(JSON.parse(letter.entry) as Record<string, string>).flat();
      // A dead letter keeps the log entry as stored: personal fields stay encrypted in it.
      const keyRing = projection.catalog.hasPersonalData ? options.personalData : undefined;
      if (keyRing) await keyRing.load(subjectsOfEntries([[letter.entryId, fields]]));
      const event = decodeEntry(
        projection.catalog,
        [letter.entryId, fields],
        { streamName: letter.partition, category, partition, kind: "log" },
        keyRing,
      );
      const handler = handlers[event.type];
      for (;;) {
        if (!handler) {
          if ((await readModel.commitDeadLetter(build, deadLetterId, [])) === "gone") {
            throw new DeadLetterNotFoundError(projection.name, deadLetterId);
          }
          return { key: undefined };
        }
        const key = assertReadModelKey(projection.key(event as never));
        const [stored] = await readModel.loadDocuments(build, [key]);
        const state = produce(
          stored ? stored.state : projection.initialState(key),
          (draft: unknown) => {
            handler(draft, event, {
              projection: projection.name,
              key,
              partition,
              position: event.position,
            });
          },
        );
        const outcome = await readModel.commitDeadLetter(build, deadLetterId, [
          { key, expectedRevision: stored?.revision ?? 0, state },
        ]);
        if (outcome === "ok") return { key };
        if (outcome === "gone") throw new DeadLetterNotFoundError(projection.name, deadLetterId);
      }
    },

    async discard(deadLetterId) {
      if (!(await readModel.discardDeadLetter(build, deadLetterId))) {
        throw new DeadLetterNotFoundError(projection.name, deadLetterId);
      }
    },
  };
}
