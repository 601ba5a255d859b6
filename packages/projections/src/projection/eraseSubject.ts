import { type EventCatalog, InvalidArgumentError } from "@streamstore/core";
import { assertDataSubject } from "@streamstore/core/internal";
import { produce } from "immer";
import { buildId } from "../keys/projectionKeys.js";
import type { ReadModelStore } from "../readModel/ReadModelStore.js";
import type { Projection } from "./defineProjection.js";

/** Options of {@link eraseSubject}. */
export interface EraseSubjectOptions {
  /** The projection's read model (`createRedisReadModelStore({ redis, prefix, name })`). */
  readModel: ReadModelStore;
  /** The forgotten data subject. */
  subject: string;
  /**
   * Builds to erase from. Default: the active build and the projection's current version (a
   * rebuild in progress), whichever exist.
   */
  builds?: readonly string[];
}

/**
 * Runs a projection's `personalData.erase` hook on every document its `keysOf` names, in each
 * build: what a read model derived from a forgotten subject's personal data is removed. Each
 * document is written only if unchanged since it was read (else read again and erased again),
 * so a running worker's commits are never lost. Call it after `store.forgetSubject` and once the
 * key cache TTL has passed (a worker with a warm key could still apply the subject's events
 * decrypted until then). Resolves the number of documents changed.
 *
 * @example
 * await store.forgetSubject("c-1");
 * await eraseSubject(customers, { readModel, subject: "c-1" });
 */
export async function eraseSubject<Catalog extends EventCatalog, StateType>(
  projection: Projection<Catalog, StateType>,
  options: EraseSubjectOptions,
): Promise<number> {
  const hook = projection.personalData;
  if (!hook) {
    throw new InvalidArgumentError(
      "projection personalData",
      `projection "${projection.name}" has no personalData hook: give defineProjection a personalData { keysOf, erase } (see "Personal data" in the @streamstore/core README).`,
    );
  }
  const subject = assertDataSubject(options.subject);
  const { readModel } = options;
  const active = await readModel.readActiveBuild();
  const builds = options.builds ?? [
    ...new Set([active, buildId(projection.version)].filter(Boolean)),
  ];
  const keys = [...new Set(hook.keysOf(subject))];
  let changed = 0;
  for (const build of builds as string[]) {
    for (const key of keys) {
      for (;;) {
        const [stored] = await readModel.loadDocuments(build, [key]);
        if (!stored) break;
        const state = produce(stored.state as StateType, (draft) => {
          hook.erase(draft, subject);
        });
        if (state === stored.state) break;
        const outcome = await readModel.writeDocument(build, {
          key,
          expectedRevision: stored.revision,
          state,
        });
        if (outcome === "ok") {
          changed++;
          break;
        }
      }
    }
  }
  return changed;
}
