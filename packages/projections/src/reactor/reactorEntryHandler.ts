import {
  decodeEntry,
  type Logger,
  type RawStreamEntry,
  type RecordedEvent,
} from "@streamstore/core";
import {
  failSpan,
  type KeyRing,
  SPAN_KIND_CONSUMER,
  sleep,
  subjectsOfEntries,
  type TelemetryAttributes,
} from "@streamstore/core/internal";
import type { Cluster, Redis } from "ioredis";
import { backoffMs } from "../consumer/backoff.js";
import type { ConsumerGroupReader } from "../consumer/ConsumerGroupReader.js";
import { errorText } from "../errors.js";
import type { ReactorKeys } from "../keys/reactorKeys.js";
import type { ProjectionsTelemetry } from "../telemetry/projectionsTelemetry.js";
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
  telemetry: ProjectionsTelemetry;
  options: { maxDeliveries: number; retryBackoffMs: number; retryBackoffMaxMs: number };
  /** Aborted when the worker stops: handlers see it, and retries wait no more. */
  signal: AbortSignal;
}

type Handler = (event: RecordedEvent, context: ReactorContext) => Promise<void> | void;
type Outcome = "handled" | "skipped" | "dead-lettered" | "retry-later";

/**
 * Makes the function that handles one delivered entry of a reactor: decode, run the handler with
 * retries (attempts counted in Redis across crashes), dead-letter, ack. One
 * `streamstore.reactor.handle` span per entry (handlers run concurrently, so a batch span would
 * not say which one was slow); metrics count what was acked and redelivered.
 *
 * @example
 * const handle = reactorEntryHandler(context);
 * await Promise.all(entries.map((entry) => handle(source, entry)));
 */
export function reactorEntryHandler(
  context: ReactorEntryContext,
): (source: ReactorSource, entry: RawStreamEntry, claimed?: boolean) => Promise<unknown> {
  const { reactor, redis, keys, workerId, keyRing, logger, telemetry, options, signal } = context;
  const handlers = reactor.handlers as Record<string, Handler | undefined>;

  const deadLetter = async (
    source: ReactorSource,
    entry: RawStreamEntry,
    reason: "handler" | "corrupt",
    attempts: number,
    error: unknown,
    attributes: TelemetryAttributes | undefined,
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
    if (attributes) {
      telemetry.instruments()?.reactorDeadLetters.add(1, {
        ...attributes,
        "streamstore.dead_letter.reason": reason,
      });
    }
  };

  const handleOnce = async (
    source: ReactorSource,
    entry: RawStreamEntry,
    attributes?: TelemetryAttributes,
  ): Promise<Outcome> => {
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
      await deadLetter(source, entry, "corrupt", 1, error, attributes);
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
          await deadLetter(source, entry, "handler", attempt, error, attributes);
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
        if (attributes) {
          telemetry.instruments()?.reactorRedeliveries.add(1, {
            ...attributes,
            "streamstore.redelivery.reason": "retry",
          });
        }
      }
    }
  };

  return (source, entry, claimed = false) => {
    const tracer = telemetry.tracer();
    const instruments = telemetry.instruments();
    if (!tracer && !instruments) return handleOnce(source, entry);
    const attributes: TelemetryAttributes = {
      "streamstore.reactor.name": reactor.name,
      "streamstore.category": source.category,
      "streamstore.partition": source.partition,
    };
    if (claimed) {
      instruments?.reactorRedeliveries.add(1, {
        ...attributes,
        "streamstore.redelivery.reason": "claimed",
      });
    }
    const run = async (span?: { setAttributes(a: TelemetryAttributes): unknown }) => {
      const outcome = await handleOnce(source, entry, attributes);
      span?.setAttributes({ "streamstore.outcome": outcome });
      if (outcome !== "retry-later") instruments?.reactorEvents.add(1, attributes);
    };
    if (!tracer) return run();
    return tracer.startActiveSpan(
      "streamstore.reactor.handle",
      {
        kind: SPAN_KIND_CONSUMER,
        attributes: {
          ...attributes,
          "streamstore.entry_id": entry[0],
          "streamstore.worker.id": workerId,
        },
      },
      async (span) => {
        try {
          await run(span);
        } catch (error) {
          failSpan(span, error);
          throw error;
        } finally {
          span.end();
        }
      },
    );
  };
}
