import { isConcurrencyError } from "../errors/index.js";
import type { EventCatalog } from "../events/defineEvents.js";
import { parseStreamName, type StreamName } from "../keys/keyLayout.js";
import type { AppendResult } from "../store/appendTypes.js";
import type { EventStore } from "../store/EventStore.js";
import { attachCoreTelemetry, type CoreInstruments } from "./coreTelemetry.js";
import { failSpan, type Telemetry } from "./createTelemetry.js";
import {
  SPAN_KIND_CLIENT,
  type TelemetryAttributes,
  type TelemetryTracer,
} from "./TelemetryTypes.js";

type Append<Catalog extends EventCatalog> = EventStore<Catalog>["append"];

/** What {@link instrumentEventStore} may be told about the store it instruments. */
export interface InstrumentEventStoreOptions {
  /**
   * The partition of a stream when the store knows it without I/O (undefined otherwise): the
   * span of a failed append then carries `streamstore.partition` too (a written one has it from
   * the result).
   */
  knownPartition?(name: StreamName): number | undefined;
}

/** The attributes a `streamstore.append` span starts with (built only when a tracer is there). */
function appendAttributes(
  streamName: unknown,
  newEvents: unknown,
  appendOptions: { expectedVersion?: unknown },
  category: string | undefined,
): TelemetryAttributes {
  const expectedVersion = appendOptions.expectedVersion ?? "any";
  const attributes: TelemetryAttributes = {
    "db.system.name": "redis",
    "streamstore.stream": String(streamName),
    "streamstore.event_count": Array.isArray(newEvents) ? newEvents.length : 0,
    "streamstore.expected_version_kind":
      typeof expectedVersion === "number" ? "exact" : String(expectedVersion),
  };
  if (category !== undefined) attributes["streamstore.category"] = category;
  if (typeof expectedVersion === "number")
    attributes["streamstore.expected_version"] = expectedVersion;
  return attributes;
}

/**
 * Wraps the operations of `store` with the spans and metrics of docs/observability.md (the
 * `streamstore.append` span, the `streamstore.append.*` metrics) and links the store to its
 * telemetry for `handleCommand`. The operations themselves know nothing of telemetry. With no
 * provider given or registered, a call pays one check (`tracer()` and `instruments()`, about 50
 * ns) and goes straight to the operation. Mutates and returns `store`.
 *
 * @example
 * return instrumentEventStore(store, createCoreTelemetry(options));
 */
export function instrumentEventStore<Catalog extends EventCatalog>(
  store: EventStore<Catalog>,
  telemetry: Telemetry<CoreInstruments>,
  options: InstrumentEventStoreOptions = {},
): EventStore<Catalog> {
  const append = store.append.bind(store);
  store.append = (streamName, newEvents, appendOptions = {}) => {
    // The one check telemetry costs when it is off (issue 7): no provider, no extra work.
    const tracer = telemetry.tracer();
    const instruments = telemetry.instruments();
    if (!tracer && !instruments) return append(streamName, newEvents, appendOptions);
    return observedAppend(
      append,
      options,
      tracer,
      instruments,
      streamName,
      newEvents,
      appendOptions,
    );
  };
  attachCoreTelemetry(store, telemetry);
  return store;
}

// The append with its span and metrics. Attributes follow the OpenTelemetry conventions' style
// (namespaced, snake_case); metrics never carry the stream name, only low-cardinality ones.
async function observedAppend<Catalog extends EventCatalog>(
  append: Append<Catalog>,
  options: InstrumentEventStoreOptions,
  tracer: TelemetryTracer | undefined,
  instruments: CoreInstruments | undefined,
  streamName: Parameters<Append<Catalog>>[0],
  newEvents: Parameters<Append<Catalog>>[1],
  appendOptions: NonNullable<Parameters<Append<Catalog>>[2]>,
): Promise<AppendResult> {
  // Only the histogram reads the clock: a tracer alone does not need it.
  const started = instruments ? performance.now() : 0;
  let name: StreamName | undefined;
  try {
    name = parseStreamName(streamName);
  } catch {
    // The append reports the bad name; the span just goes without a category.
  }
  const category = name?.category;
  const span = tracer?.startSpan("streamstore.append", {
    kind: SPAN_KIND_CLIENT,
    attributes: appendAttributes(streamName, newEvents, appendOptions, category),
  });
  let partition: number | undefined;
  let outcome = "error";
  try {
    const result = await append(streamName, newEvents, appendOptions);
    partition = result.partition;
    outcome = result.duplicate ? "duplicate" : "ok";
    if (span?.isRecording()) {
      span.setAttributes({
        "streamstore.conflict": false,
        "streamstore.duplicate": result.duplicate,
        "streamstore.next_version": result.nextExpectedVersion,
      });
    }
    if (instruments && !result.duplicate && category !== undefined) {
      instruments.appendEvents.add(result.positions.length, { "streamstore.category": category });
    }
    return result;
  } catch (error) {
    const conflict = isConcurrencyError(error);
    if (conflict) outcome = "conflict";
    if (span?.isRecording()) {
      if (name !== undefined) partition = options.knownPartition?.(name);
      span.setAttributes({ "streamstore.conflict": conflict, "streamstore.duplicate": false });
      if (conflict) span.setAttribute("streamstore.actual_version", error.actualVersion);
      failSpan(span, error);
    }
    if (conflict && instruments && category !== undefined) {
      instruments.appendConflicts.add(1, { "streamstore.category": category });
    }
    throw error;
  } finally {
    if (partition !== undefined) span?.setAttribute("streamstore.partition", partition);
    span?.end();
    instruments?.appendDuration.record(performance.now() - started, {
      "streamstore.category": category ?? "",
      "streamstore.outcome": outcome,
    });
  }
}
