import {
  decodeEntry,
  type Logger,
  type RawStreamEntry,
  type RecordedEvent,
} from "@streamstore/core";
import { type KeyRing, sleep, subjectsOfEntries } from "@streamstore/core/internal";
import type { Cluster, Redis } from "ioredis";
import { backoffMs } from "../consumer/backoff.js";
import type { ConsumerGroupReader } from "../consumer/ConsumerGroupReader.js";
import { errorText } from "../errors.js";
import type { ReactorKeys } from "../keys/reactorKeys.js";
import type {
  ReactorEntryProbe,
  ReactorInstrumentation,
  ReactorOutcome,
} from "../telemetry/reactorInstrumentation.js";
import type { Reactor, ReactorContext } from "./defineReactor.js";

/** A source partition log of a reactor and the reader of its consumer group. */
export interface ReactorSource {
  category: string;
  partition: number;
  reader: ConsumerGroupReader;
}

/** What handling an entry needs from its worker. */
export interface ReactorEntryContext {
  reactor: Reactor;
  redis: Redis | Cluster;
  keys: ReactorKeys;
  workerId: string;
  keyRing: KeyRing | undefined;
  logger: Logger;
  /** Spans and metrics around the handling of each entry. */
  instrumentation: ReactorInstrumentation;
  options: { maxDeliveries: number; retryBackoffMs: number; retryBackoffMaxMs: number };
  /** Aborted when the worker stops: handlers see it, and retries wait no more. */
  signal: AbortSignal;
}

type Handler = (event: RecordedEvent, context: ReactorContext) => Promise<void> | void;

/**
 * Makes the function that handles one delivered entry of a reactor: decode, run the handler with
 * retries (attempts counted in Redis across crashes), dead-letter, ack. Each entry is handled
 * inside the context's instrumentation, told of dead letters and retries through its probe.
 *
 * @example
 * const handle = reactorEntryHandler(context);
 * await Promise.all(entries.map((entry) => handle(source, entry)));
 */
export function reactorEntryHandler(
  context: ReactorEntryContext,
): (source: ReactorSource, entry: RawStreamEntry, claimed?: boolean) => Promise<unknown> {
  const { reactor, redis, keys, workerId, keyRing, logger, instrumentation, options, signal } =
    context;
  const handlers = reactor.handlers as Record<string, Handler | undefined>;

  const deadLetter = async (
    source: ReactorSource,
    entry: RawStreamEntry,
    reason: "handler" | "corrupt",
    attempts: number,
    error: unknown,
    probe: ReactorEntryProbe,
  ) => {
    const object: Record<string, string> = {};
    const fields = entry[1] ?? [];
    for (let i = 0; i + 1 < fields.length; i += 2)
      object[fields[i] as string] = fields[i + 1] as string;
    // Not atomic with the XACK (other slot): a crash in between leaves a duplicate dead letter at
    // worst, which is within at-least-once.
    await redis.xadd(
      keys.deadLetters,
      "*",
      "partition",
      `${source.category}:${source.partition}`,
      "entryId",
      entry[0],
      "reason",
      reason,
      "attempts",
      String(attempts),
      "error",
      errorText(error),
      "type",
      object.t ?? "",
      "entry",
      JSON.stringify(object),
      "at",
      String(Date.now()),
    );
    probe.deadLettered(reason);
  };

  const handleOnce = async (
    source: ReactorSource,
    entry: RawStreamEntry,
    probe: ReactorEntryProbe,
  ): Promise<ReactorOutcome> => {
    const [id, fields] = entry;
    const ack = () => source.reader.ack([id]);
    if (fields === null) {
      await ack();
      return "skipped";
    }
    let event: RecordedEvent;
    try {
      if (keyRing) await keyRing.load(subjectsOfEntries([entry]));
      event = decodeEntry(
        reactor.catalog,
        entry,
        {
          streamName: source.reader.logKey,
          category: source.category,
          partition: source.partition,
          kind: "log",
        },
        keyRing,
      );
    } catch (error) {
      await deadLetter(source, entry, "corrupt", 1, error, probe);
      await ack();
      return "dead-lettered";
    }
    const handler = handlers[event.type];
    if (!handler) {
      await ack();
      return "skipped";
    }
    const attemptField = `${source.reader.logKey}:${id}`;
    for (;;) {
      const attempt = await redis.hincrby(keys.attempts, attemptField, 1);
      try {
        await handler(event, { reactor: reactor.name, attempt, signal });
        await ack();
        await redis.hdel(keys.attempts, attemptField);
        return "handled";
      } catch (error) {
        if (attempt >= options.maxDeliveries) {
          logger.error(
            {
              reactor: reactor.name,
              worker: workerId,
              partition: `${source.category}:${source.partition}`,
              entryId: id,
              attempts: attempt,
              error: errorText(error),
            },
            `[streamstore] reactor "${reactor.name}": entry ${id} failed ${attempt} time(s); moved to the dead-letter stream (retry it with deadLetters.retry after a fix).`,
          );
          await deadLetter(source, entry, "handler", attempt, error, probe);
          await ack();
          await redis.hdel(keys.attempts, attemptField);
          return "dead-lettered";
        }
        await sleep(
          backoffMs(options.retryBackoffMs, options.retryBackoffMaxMs, attempt - 1),
          signal,
        );
        // Stopping: leave it pending; another worker (or this one restarted) claims it.
        if (signal.aborted) return "retry-later";
        probe.retried();
      }
    }
  };

  return (source, entry, claimed = false) =>
    instrumentation.handle(source, entry[0], claimed, (probe) => handleOnce(source, entry, probe));
}
