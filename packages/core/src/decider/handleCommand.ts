import { randomUUID } from "node:crypto";
import {
  type ConcurrencyError,
  InvalidArgumentError,
  isConcurrencyError,
} from "../errors/index.js";
import type { EventCatalog, EventInputOf, EventOf } from "../events/defineEvents.js";
import type { EventMetadata, NewEvent } from "../events/types.js";
import { parseStreamName } from "../keys/keyLayout.js";
import type { Logger } from "../logging/Logger.js";
import { subjectsOfBatch } from "../personalData/personalFields.js";
import type { AppendResult } from "../store/appendTypes.js";
import type { EventStore } from "../store/EventStore.js";
import { type CoreInstruments, coreTelemetryOf } from "../telemetry/coreTelemetry.js";
import { errorMessage, failSpan } from "../telemetry/createTelemetry.js";
import {
  SPAN_KIND_INTERNAL,
  type TelemetryAttributes,
  type TelemetrySpan,
  type TelemetryTracer,
} from "../telemetry/TelemetryTypes.js";
import { type AggregateState, aggregateStream } from "./aggregateStream.js";
import type { Decider } from "./Decider.js";
import { evolveAll } from "./evolveAll.js";

/** Options of {@link handleCommand}. */
export interface HandleCommandOptions {
  /** Retries after a `ConcurrencyError` before giving up (the error is then rethrown). Default 10. */
  maxRetries?: number;
  /** First backoff before a retry, in ms; doubles per retry, with full jitter. Default 2. */
  initialDelayMs?: number;
  /** Longest backoff, in ms. Default 200. */
  maxDelayMs?: number;
  /** Metadata for every event appended (e.g. `{ correlationId, causationId }`). */
  metadata?: EventMetadata;
  /** Stops retrying when aborted. */
  signal?: AbortSignal;
  /**
   * Receives a warning, with structured fields, when a snapshot could not be stored (the command
   * still succeeds); pino-compatible. Default: silent.
   */
  logger?: Logger;
}

/** The defaults of {@link HandleCommandOptions}. */
export const DEFAULT_HANDLE_COMMAND_OPTIONS = {
  maxRetries: 10,
  initialDelayMs: 2,
  maxDelayMs: 200,
} as const;

/** What {@link handleCommand} did. */
export interface HandleCommandResult<StateType, EventType> {
  /** The events `decide` returned, with their ids, as appended (empty when it returned none). */
  newEvents: (EventType & { id: string })[];
  /** The state after the new events. */
  newState: StateType;
  /** The stream version after the append (the loaded version when nothing was appended). */
  nextExpectedVersion: number;
  /** The append's result, undefined when `decide` returned no events. */
  appendResult: AppendResult | undefined;
  /** How many times the command was decided again after a conflict. */
  retries: number;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Handles a command: loads the stream's state, runs `decide`, appends the new events with the
 * loaded version as expected version, and on a `ConcurrencyError` catches up with the events it
 * missed and decides again, with bounded, jittered backoff.
 *
 * With OpenTelemetry (the store's providers, or the global ones), it runs in a
 * `streamstore.handle_command` span whose children are the append spans of every attempt, and
 * counts retries in `streamstore.command.retries` (see docs/observability.md).
 *
 * @example
 * const { newState, nextExpectedVersion } = await handleCommand(
 *   store, "account-1", account, { type: "Deposit", amount: 10 });
 */
export async function handleCommand<Catalog extends EventCatalog, StateType, CommandType>(
  store: EventStore<Catalog>,
  streamName: string,
  decider: Decider<StateType, CommandType, EventOf<Catalog>>,
  command: CommandType,
  options: HandleCommandOptions = {},
): Promise<HandleCommandResult<StateType, EventOf<Catalog>>> {
  const telemetry = coreTelemetryOf(store);
  const tracer = telemetry.tracer();
  const instruments = telemetry.instruments();
  // The one check telemetry costs when it is off (issue 7).
  if (!tracer && !instruments) return decideAndAppend(store, streamName, decider, command, options);
  return observed(tracer, instruments, store, streamName, decider, command, options);
}

async function observed<Catalog extends EventCatalog, StateType, CommandType>(
  tracer: TelemetryTracer | undefined,
  instruments: CoreInstruments | undefined,
  store: EventStore<Catalog>,
  streamName: string,
  decider: Decider<StateType, CommandType, EventOf<Catalog>>,
  command: CommandType,
  options: HandleCommandOptions,
): Promise<HandleCommandResult<StateType, EventOf<Catalog>>> {
  let category: string | undefined;
  try {
    category = parseStreamName(streamName).category;
  } catch {
    // The store reports the bad name; the span and the metric go without a category.
  }
  const progress = { retries: 0 };
  const onRetry = () => {
    progress.retries++;
    instruments?.commandRetries.add(1, { "streamstore.category": category ?? "" });
  };
  const run = async (span: TelemetrySpan | undefined) => {
    let outcome = "error";
    try {
      const result = await decideAndAppend(store, streamName, decider, command, options, onRetry);
      if (result.appendResult === undefined) outcome = "no_events";
      else outcome = result.appendResult.duplicate ? "duplicate" : "appended";
      span?.setAttribute("streamstore.event_count", result.newEvents.length);
      return result;
    } catch (error) {
      if (isConcurrencyError(error)) outcome = "conflict";
      if (span) failSpan(span, error);
      throw error;
    } finally {
      span?.setAttributes({
        "streamstore.retries": progress.retries,
        "streamstore.attempts": progress.retries + 1,
        "streamstore.outcome": outcome,
      });
      span?.end();
    }
  };
  if (!tracer) return run(undefined);
  const attributes: TelemetryAttributes = { "streamstore.stream": String(streamName) };
  if (category !== undefined) attributes["streamstore.category"] = category;
  // An active span: the appends (and reads) inside are its children wherever the application has
  // a context manager (NodeSDK registers AsyncLocalStorage's).
  return tracer.startActiveSpan(
    "streamstore.handle_command",
    { kind: SPAN_KIND_INTERNAL, attributes },
    run,
  );
}

async function decideAndAppend<Catalog extends EventCatalog, StateType, CommandType>(
  store: EventStore<Catalog>,
  streamName: string,
  decider: Decider<StateType, CommandType, EventOf<Catalog>>,
  command: CommandType,
  options: HandleCommandOptions,
  onRetry?: () => void,
): Promise<HandleCommandResult<StateType, EventOf<Catalog>>> {
  const maxRetries = options.maxRetries ?? DEFAULT_HANDLE_COMMAND_OPTIONS.maxRetries;
  if (!Number.isSafeInteger(maxRetries) || maxRetries < 0) {
    throw new InvalidArgumentError("maxRetries", `${String(maxRetries)} must be an integer >= 0.`);
  }
  const initialDelayMs = options.initialDelayMs ?? DEFAULT_HANDLE_COMMAND_OPTIONS.initialDelayMs;
  const maxDelayMs = options.maxDelayMs ?? DEFAULT_HANDLE_COMMAND_OPTIONS.maxDelayMs;
  let loaded: AggregateState<StateType> = await aggregateStream(store, streamName, decider);
  for (let attempt = 0; ; attempt++) {
    const decided = await decider.decide(command, loaded.state);
    const list = (Array.isArray(decided) ? decided : [decided]) as NewEvent<EventOf<Catalog>>[];
    // Ids are fixed here, so the ids of this attempt are known for the snapshot, and a lost
    // reply retried by the client finds the same ids stored.
    const newEvents = list.map((event) => ({ ...event, id: event.id ?? randomUUID() }));
    if (newEvents.length === 0) {
      return {
        newEvents: [],
        newState: loaded.state,
        nextExpectedVersion: loaded.version,
        appendResult: undefined,
        retries: attempt,
      };
    }
    try {
      const appendResult = await store.append(
        streamName,
        newEvents as unknown as NewEvent<EventInputOf<Catalog>>[],
        {
          expectedVersion: loaded.version,
          ...(options.metadata ? { metadata: options.metadata } : {}),
        },
      );
      const newState = evolveAll(decider, loaded.state, newEvents as EventOf<Catalog>[]);
      // The new state may hold the new events' personal data too: its snapshot is sealed under
      // their subjects as well (the append checked them).
      const dataSubjects = store.catalog.hasPersonalData
        ? [
            ...new Set([
              ...(loaded.dataSubjects ?? []),
              ...subjectsOfBatch(store.catalog, newEvents, options.metadata),
            ]),
          ].sort()
        : [];
      await maybeSnapshot(
        store,
        streamName,
        decider,
        loaded.version,
        appendResult,
        newEvents,
        newState,
        options,
        dataSubjects,
      );
      return {
        newEvents: newEvents as (EventOf<Catalog> & { id: string })[],
        newState,
        nextExpectedVersion: appendResult.nextExpectedVersion,
        appendResult,
        retries: attempt,
      };
    } catch (error) {
      if (!isConcurrencyError(error) || attempt >= maxRetries) {
        if (isConcurrencyError(error)) {
          throw Object.assign(error, { attempts: attempt + 1 }) as ConcurrencyError & {
            attempts: number;
          };
        }
        throw error;
      }
      const ceiling = Math.min(maxDelayMs, initialDelayMs * 2 ** attempt);
      await sleep(Math.random() * ceiling, options.signal);
      onRetry?.();
      // The conflict told us the stream moved on: fold only the events we missed.
      loaded = await aggregateStream(store, streamName, decider, { from: loaded });
    }
  }
}

async function maybeSnapshot<Catalog extends EventCatalog, StateType, CommandType>(
  store: EventStore<Catalog>,
  streamName: string,
  decider: Decider<StateType, CommandType, EventOf<Catalog>>,
  previousVersion: number,
  appendResult: AppendResult,
  newEvents: { id: string }[],
  newState: StateType,
  options: HandleCommandOptions,
  dataSubjects: readonly string[],
): Promise<void> {
  const policy = decider.snapshot;
  if (!policy || appendResult.duplicate) return;
  const version = appendResult.nextExpectedVersion;
  if (Math.floor(version / policy.every) <= Math.floor(previousVersion / policy.every)) return;
  const lastEvent = newEvents[newEvents.length - 1];
  if (!lastEvent) return;
  try {
    await store.writeSnapshot(streamName, {
      version,
      eventId: lastEvent.id,
      schemaVersion: policy.schemaVersion,
      state: newState,
      ...(dataSubjects.length > 0 ? { dataSubjects } : {}),
    });
  } catch (error) {
    // A snapshot is an optimisation: failing to store one must not fail a command that succeeded.
    options.logger?.warn(
      { stream: streamName, version, error: errorMessage(error) },
      "[streamstore] could not store a snapshot; loads replay the stream meanwhile.",
    );
  }
}
