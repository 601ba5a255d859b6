import { CorruptEventError, ScriptFailedError } from "@streamstore/core";
import type { Cluster, Redis } from "ioredis";
import { CorruptCheckpointError } from "../errors.js";
import { projectionKeys } from "../keys/projectionKeys.js";
import { runProjectionsFunction } from "./projectionsFunctionLibrary.js";
import type {
  Checkpoint,
  CommitOutcome,
  DeadLetter,
  DeadLetterRecord,
  ReadModelStore,
  StoredDocument,
} from "./ReadModelStore.js";
import { unlinkBuildKeys } from "./unlinkBuildKeys.js";

/**
 * Options of {@link createRedisReadModelStore}.
 *
 * @example
 * createRedisReadModelStore({ redis, prefix: "shop", name: "balances" });
 */
export interface RedisReadModelStoreOptions {
  /** An ioredis client (`Redis` or `Cluster`), or the in-memory fake of @streamstore/testing. */
  redis: Redis | Cluster;
  /** The key prefix (the event store's prefix). */
  prefix: string;
  /** The projection's name. */
  name: string;
}

/**
 * Parses a stored document `<revision>:<json>`.
 *
 * @example
 * parseDocument("3:{\"balance\":10}", "k"); // { revision: 3, state: { balance: 10 } }
 */
export function parseDocument(stored: string, key: string): StoredDocument {
  const colon = stored.indexOf(":");
  const revision = Number(stored.slice(0, colon));
  if (colon < 1 || !Number.isSafeInteger(revision)) {
    throw new CorruptEventError(key, undefined, "-", "the read-model document has no revision");
  }
  try {
    return { revision, state: JSON.parse(stored.slice(colon + 1)) };
  } catch (error) {
    throw new CorruptEventError(
      key,
      undefined,
      "-",
      `the read-model document is not JSON (${(error as Error).message}); rebuild the projection`,
    );
  }
}

const CHECKPOINT = /^([0-9]{1,20}-[0-9]{1,20})\|([0-9]{1,15})$/;

/**
 * Parses a checkpoint hash value `<position>|<count>`.
 *
 * @example
 * parseCheckpoint("5-0|42"); // { position: "5-0", applied: 42 }
 */
export function parseCheckpoint(stored: string | null | undefined): Checkpoint {
  if (!stored) return { position: "0-0", applied: 0 };
  const match = CHECKPOINT.exec(stored);
  if (!match) throw new CorruptCheckpointError(stored);
  return { position: match[1] as string, applied: Number(match[2]) };
}

function toDeadLetter(id: string, fields: string[] | null): DeadLetter {
  const map = new Map<string, string>();
  for (let i = 0; fields && i + 1 < fields.length; i += 2) {
    map.set(fields[i] as string, fields[i + 1] as string);
  }
  return {
    id,
    partition: map.get("partition") ?? "",
    entryId: map.get("entryId") ?? "",
    reason: map.get("reason") === "corrupt" ? "corrupt" : "handler",
    attempts: Number(map.get("attempts") ?? 0),
    error: map.get("error") ?? "",
    type: map.get("type") ?? "",
    entry: map.get("entry") ?? "{}",
    at: Number(map.get("at") ?? 0),
  };
}

function deadLetterFields(record: DeadLetterRecord): string[] {
  return [
    "partition",
    record.partition,
    "entryId",
    record.entryId,
    "reason",
    record.reason,
    "attempts",
    String(record.attempts),
    "error",
    record.error,
    "type",
    record.type,
    "entry",
    record.entry,
    "at",
    String(record.at),
  ];
}

/**
 * The read-model store on Redis: one key per document (`<revision>:<JSON>`), and the build's
 * checkpoints, attempts and dead letters beside them under one hash tag; commits are one Lua
 * script (fence, checkpoint and revision compare-and-sets, then the writes).
 *
 * @example
 * const readModel = createRedisReadModelStore({ redis, prefix: "shop", name: "balances" });
 * const runner = startProjection(balances, { redis, store, readModel });
 */
export function createRedisReadModelStore(options: RedisReadModelStoreOptions): ReadModelStore {
  const { redis, name } = options;
  const keys = projectionKeys(options.prefix, name);

  return {
    kind: "redis",
    name,
    prefix: options.prefix,

    async loadDocuments(build, documentKeys) {
      if (documentKeys.length === 0) return [];
      const stored = await redis.mget(documentKeys.map((key) => keys.doc(build, key)));
      return stored.map((value, index) =>
        value === null ? undefined : parseDocument(value, documentKeys[index] as string),
      );
    },

    async readCheckpoints(build) {
      const all = await redis.hgetall(keys.checkpoints(build));
      const result = new Map<string, Checkpoint>();
      for (const [field, value] of Object.entries(all)) result.set(field, parseCheckpoint(value));
      return result;
    },

    async commit(request): Promise<CommitOutcome> {
      const { build } = request;
      const scriptKeys = [
        keys.checkpoints(build),
        keys.fence(build, request.partition),
        keys.deadLetters(build),
        keys.attempts(build),
      ];
      for (const doc of request.documents) scriptKeys.push(keys.doc(build, doc.key));
      const args: (string | number)[] = [];
      args.push(
        request.fenceToken === undefined ? "" : String(request.fenceToken),
        request.partition,
        request.expectedPosition,
        request.position,
        request.appliedDelta,
        request.documents.length,
        request.deadLetters.length,
        request.clearAttempts.length,
      );
      for (const doc of request.documents) {
        args.push(doc.expectedRevision, `${doc.expectedRevision + 1}:${JSON.stringify(doc.state)}`);
      }
      for (const record of request.deadLetters) {
        const fields = deadLetterFields(record);
        args.push(fields.length, ...fields);
      }
      for (const attempt of request.clearAttempts) args.push(attempt);
      const reply = (await runProjectionsFunction(redis, "commit", scriptKeys, args)) as unknown[];
      switch (reply?.[0]) {
        case "ok":
          return { status: "ok" };
        case "fenced":
          return { status: "fenced", currentToken: Number(reply[1]) };
        case "checkpoint":
          return { status: "checkpoint", actual: String(reply[1]) };
        case "revision":
          return {
            status: "revision",
            staleKeys: reply
              .slice(1)
              .map((index) => request.documents[Number(index) - 1]?.key ?? ""),
          };
        default:
          throw new ScriptFailedError(`the commit script answered ${JSON.stringify(reply)}`);
      }
    },

    async recordAttempt(build, attemptKey) {
      return redis.hincrby(keys.attempts(build), attemptKey, 1);
    },

    async listDeadLetters(build, listOptions = {}) {
      const entries = (await redis.xrange(
        keys.deadLetters(build),
        listOptions.after === undefined ? "-" : `(${listOptions.after}`,
        "+",
        "COUNT",
        listOptions.count ?? 100,
      )) as [string, string[] | null][];
      return entries.map(([id, fields]) => toDeadLetter(id, fields));
    },

    async getDeadLetter(build, deadLetterId) {
      const entries = (await redis.xrange(keys.deadLetters(build), deadLetterId, deadLetterId)) as [
        string,
        string[] | null,
      ][];
      const entry = entries[0];
      return entry ? toDeadLetter(entry[0], entry[1]) : undefined;
    },

    async countDeadLetters(build) {
      return redis.xlen(keys.deadLetters(build));
    },

    async commitDeadLetter(build, deadLetterId, documents) {
      const scriptKeys = [keys.deadLetters(build)];
      for (const doc of documents) scriptKeys.push(keys.doc(build, doc.key));
      const args: (string | number)[] = [deadLetterId, documents.length];
      for (const doc of documents) {
        args.push(doc.expectedRevision, `${doc.expectedRevision + 1}:${JSON.stringify(doc.state)}`);
      }
      const reply = (await runProjectionsFunction(
        redis,
        "dead_letter",
        scriptKeys,
        args,
      )) as unknown[];
      const status = reply?.[0];
      if (status === "ok" || status === "gone" || status === "revision") return status;
      throw new ScriptFailedError(`the dead-letter script answered ${JSON.stringify(reply)}`);
    },

    async writeDocument(build, document) {
      const written = await runProjectionsFunction(
        redis,
        "write_document",
        [keys.doc(build, document.key)],
        [
          document.expectedRevision,
          `${document.expectedRevision + 1}:${JSON.stringify(document.state)}`,
        ],
      );
      return Number(written) === 1 ? "ok" : "revision";
    },

    async discardDeadLetter(build, deadLetterId) {
      return (await redis.xdel(keys.deadLetters(build), deadLetterId)) === 1;
    },

    readActiveBuild: () => redis.get(keys.active()),

    async switchActiveBuild(expected, next) {
      const key = keys.active();
      const reply = await runProjectionsFunction(
        redis,
        "switch_active_build",
        [key],
        [expected ?? "", next],
      );
      return Number(reply) === 1;
    },

    async dropBuild(build) {
      await unlinkBuildKeys(redis, keys, build);
    },
  };
}
