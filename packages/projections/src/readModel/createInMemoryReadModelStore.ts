import type {
  Checkpoint,
  CommitOutcome,
  DeadLetter,
  DocumentWrite,
  ReadModelStore,
  StoredDocument,
} from "./ReadModelStore.js";

interface BuildData {
  documents: Map<string, StoredDocument>;
  checkpoints: Map<string, Checkpoint>;
  attempts: Map<string, number>;
  deadLetters: DeadLetter[];
  nextDeadLetter: number;
}

/**
 * A read-model store in this process's memory, with the same commit semantics as the Redis one
 * (checkpoint and revision compare-and-sets, all or nothing). For tests, benchmarks and read
 * models that one process rebuilds at start. It keeps no fence counters: the lease fence tokens
 * live in Redis, so run only one runner per in-memory store.
 *
 * @example
 * const readModel = createInMemoryReadModelStore({ name: "balances" });
 * const runner = startProjection(balances, { redis, store, readModel });
 */
export function createInMemoryReadModelStore(options: { name: string }): ReadModelStore {
  const builds = new Map<string, BuildData>();
  let active: string | null = null;
  const data = (build: string): BuildData => {
    let found = builds.get(build);
    if (!found) {
      found = {
        documents: new Map(),
        checkpoints: new Map(),
        attempts: new Map(),
        deadLetters: [],
        nextDeadLetter: 1,
      };
      builds.set(build, found);
    }
    return found;
  };
  const staleKeys = (build: BuildData, documents: readonly DocumentWrite[]): string[] =>
    documents
      .filter((doc) => (build.documents.get(doc.key)?.revision ?? 0) !== doc.expectedRevision)
      .map((doc) => doc.key);
  const write = (build: BuildData, documents: readonly DocumentWrite[]): void => {
    // States are immer results (frozen), so they can be shared without a copy.
    for (const doc of documents) {
      build.documents.set(doc.key, { revision: doc.expectedRevision + 1, state: doc.state });
    }
  };

  return {
    kind: "memory",
    name: options.name,

    async loadDocuments(build, keys) {
      const { documents } = data(build);
      return keys.map((key) => documents.get(key));
    },

    async readCheckpoints(build) {
      return new Map(data(build).checkpoints);
    },

    async commit(request): Promise<CommitOutcome> {
      const build = data(request.build);
      const current = build.checkpoints.get(request.partition) ?? { position: "0-0", applied: 0 };
      if (current.position !== request.expectedPosition) {
        return { status: "checkpoint", actual: current.position };
      }
      const stale = staleKeys(build, request.documents);
      if (stale.length > 0) return { status: "revision", staleKeys: stale };
      write(build, request.documents);
      build.checkpoints.set(request.partition, {
        position: request.position,
        applied: current.applied + request.appliedDelta,
      });
      for (const record of request.deadLetters) {
        build.deadLetters.push({ ...record, id: `${record.at}-${build.nextDeadLetter++}` });
      }
      for (const key of request.clearAttempts) build.attempts.delete(key);
      return { status: "ok" };
    },

    async recordAttempt(build, attemptKey) {
      const { attempts } = data(build);
      const count = (attempts.get(attemptKey) ?? 0) + 1;
      attempts.set(attemptKey, count);
      return count;
    },

    async listDeadLetters(build, listOptions = {}) {
      const all = data(build).deadLetters;
      const start =
        listOptions.after === undefined
          ? 0
          : all.findIndex((letter) => letter.id === listOptions.after) + 1;
      return all.slice(start, start + (listOptions.count ?? 100));
    },

    async getDeadLetter(build, deadLetterId) {
      return data(build).deadLetters.find((letter) => letter.id === deadLetterId);
    },

    async countDeadLetters(build) {
      return data(build).deadLetters.length;
    },

    async commitDeadLetter(buildName, deadLetterId, documents) {
      const build = data(buildName);
      const index = build.deadLetters.findIndex((letter) => letter.id === deadLetterId);
      if (index < 0) return "gone";
      if (staleKeys(build, documents).length > 0) return "revision";
      write(build, documents);
      build.deadLetters.splice(index, 1);
      return "ok";
    },

    async writeDocument(buildName, document) {
      const build = data(buildName);
      if (staleKeys(build, [document]).length > 0) return "revision";
      write(build, [document]);
      return "ok";
    },

    async discardDeadLetter(buildName, deadLetterId) {
      const build = data(buildName);
      const index = build.deadLetters.findIndex((letter) => letter.id === deadLetterId);
      if (index < 0) return false;
      build.deadLetters.splice(index, 1);
      return true;
    },

    async readActiveBuild() {
      return active;
    },

    async switchActiveBuild(expected, next) {
      if (active !== expected) return false;
      active = next;
      return true;
    },

    async dropBuild(build) {
      builds.delete(build);
    },
  };
}
