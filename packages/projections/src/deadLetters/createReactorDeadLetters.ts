import {
  createRedisKeyStore,
  decodeEntry,
  type EventCatalog,
  type RecordedEvent,
} from "@streamstore/core";
import { assertRedisClient, KeyRing, subjectsOfEntries } from "@streamstore/core/internal";
import type { Cluster, Redis } from "ioredis";
import { DeadLetterNotFoundError } from "../errors.js";
import { reactorKeys } from "../keys/reactorKeys.js";
import type { Reactor, ReactorContext } from "../reactor/defineReactor.js";
import { createRedisReadModelStore } from "../readModel/createRedisReadModelStore.js";
import type { DeadLetter } from "../readModel/ReadModelStore.js";

/**
 * Lists, retries and discards the dead letters of a reactor (shared by all its workers).
 *
 * @example
 * const letters = await worker.deadLetters.list({ count: 10 });
 */
export interface ReactorDeadLetters {
  /** Dead letters, oldest first (`after`: continue after this id; `count`: page size, default 100). */
  list(options?: { after?: string; count?: number }): Promise<DeadLetter[]>;
  /** Runs the handler once more; on success the dead letter is removed (a failure keeps it and throws). */
  retry(deadLetterId: string): Promise<void>;
  /** Removes a dead letter without running its handler. */
  discard(deadLetterId: string): Promise<void>;
}

/**
 * Options of {@link createReactorDeadLetters}.
 *
 * @example
 * createReactorDeadLetters(mailer, { redis, prefix: "shop" });
 */
export interface ReactorDeadLettersOptions {
  redis: Redis | Cluster;
  /** The event store's key prefix. Default `"ss"`. */
  prefix?: string;
  /**
   * The keys of personal fields, for a catalog with personal data. Default: the prefix's key
   * store in Redis (as the event store's own default).
   */
  personalData?: KeyRing;
  /** Handed to the handler as `context.signal` on a retry. Default: never aborted. */
  signal?: AbortSignal;
}

type Handler = (event: RecordedEvent, context: ReactorContext) => Promise<void> | void;

/**
 * The dead-letter API of a reactor, without running it: what `startReactor(...).deadLetters` is,
 * for a process that only repairs (the CLI's `dlq retry`). A retry decodes the parked log entry
 * with the reactor's catalog and runs its handler once (`context.attempt` = the attempts made + 1).
 *
 * @example
 * const deadLetters = createReactorDeadLetters(mailer, { redis, prefix: "shop" });
 * for (const letter of await deadLetters.list()) await deadLetters.retry(letter.id);
 */
export function createReactorDeadLetters<Catalog extends EventCatalog>(
  reactor: Reactor<Catalog>,
  options: ReactorDeadLettersOptions,
): ReactorDeadLetters {
  const { redis } = options;
  assertRedisClient(redis);
  const prefix = options.prefix ?? "ss";
  const { deadLetterBuild } = reactorKeys(prefix, reactor.name);
  // The dead-letter stream and its API are the read-model store's, under the build "rx".
  const store = createRedisReadModelStore({ redis, prefix, name: reactor.name });
  const handlers = reactor.handlers as Record<string, Handler | undefined>;
  const signal = options.signal ?? new AbortController().signal;
  let keyRing: KeyRing | undefined;
  const personalData = () => {
    if (!reactor.catalog.hasPersonalData) return undefined;
    keyRing ??= options.personalData ?? new KeyRing(createRedisKeyStore({ redis, prefix }));
    return keyRing;
  };
  return {
    list: (listOptions) => store.listDeadLetters(deadLetterBuild, listOptions),

    async retry(deadLetterId) {
      const letter = await store.getDeadLetter(deadLetterBuild, deadLetterId);
      if (!letter) throw new DeadLetterNotFoundError(reactor.name, deadLetterId, "reactor");
      const separator = letter.partition.lastIndexOf(":");
      const category = letter.partition.slice(0, separator);
      const partition = Number(letter.partition.slice(separator + 1));
      const fields = Object.entries(JSON.parse(letter.entry) as Record<string, string>).flat();
      // A dead letter keeps the log entry as stored: personal fields stay encrypted in it.
      const ring = personalData();
      if (ring) await ring.load(subjectsOfEntries([[letter.entryId, fields]]));
      const event = decodeEntry(
        reactor.catalog,
        [letter.entryId, fields],
        { streamName: letter.partition, category, partition, kind: "log" },
        ring,
      );
      await handlers[event.type]?.(event, {
        reactor: reactor.name,
        attempt: letter.attempts + 1,
        signal,
      });
      await store.discardDeadLetter(deadLetterBuild, deadLetterId);
    },

    async discard(deadLetterId) {
      if (!(await store.discardDeadLetter(deadLetterBuild, deadLetterId))) {
        throw new DeadLetterNotFoundError(reactor.name, deadLetterId, "reactor");
      }
    },
  };
}
