import { createTelemetry, type Telemetry } from "./createTelemetry.js";
import { packageVersion } from "./loadOpenTelemetryApi.js";
import type {
  TelemetryCounter,
  TelemetryHistogram,
  TelemetryMeter,
  TelemetryOptions,
} from "./TelemetryTypes.js";

/**
 * Bucket boundaries of the duration histograms, in ms: an append takes 0.1 to a few ms, far
 * below the SDK's default boundaries (0, 5, 10, 25 ms...), which would put every append in the
 * first bucket.
 *
 * @example
 * meter.createHistogram("streamstore.append.duration", { unit: "ms", advice: { explicitBucketBoundaries: DURATION_BUCKETS_MS } });
 */
export const DURATION_BUCKETS_MS = [
  0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000,
];

/**
 * The metric instruments of `@streamstore/core` (see docs/observability.md).
 *
 * @example
 * coreTelemetryOf(store).instruments()?.appendConflicts.add(1, { "streamstore.category": "account" });
 */
export interface CoreInstruments {
  appendDuration: TelemetryHistogram;
  appendConflicts: TelemetryCounter;
  appendEvents: TelemetryCounter;
  commandRetries: TelemetryCounter;
}

function createCoreInstruments(meter: TelemetryMeter): CoreInstruments {
  return {
    appendDuration: meter.createHistogram("streamstore.append.duration", {
      description: "Duration of appends, from the call to the reply, by category and outcome.",
      unit: "ms",
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_MS },
    }),
    appendConflicts: meter.createCounter("streamstore.append.conflicts", {
      description: "Appends refused because the stream was not at the expected version.",
      unit: "{append}",
    }),
    appendEvents: meter.createCounter("streamstore.append.events", {
      description: "Events written by appends (duplicates of stored events excluded).",
      unit: "{event}",
    }),
    commandRetries: meter.createCounter("streamstore.command.retries", {
      description: "Times handleCommand decided a command again after a concurrency conflict.",
      unit: "{retry}",
    }),
  };
}

/**
 * Creates the telemetry of one store (meter and tracer `@streamstore/core`).
 *
 * @example
 * const telemetry = createCoreTelemetry({ tracerProvider });
 */
export function createCoreTelemetry(options: TelemetryOptions): Telemetry<CoreInstruments> {
  return createTelemetry(
    () => ({
      name: "@streamstore/core",
      version: packageVersion(import.meta.url, "../../package.json"),
    }),
    options,
    createCoreInstruments,
  );
}

const telemetryOfStores = new WeakMap<object, Telemetry<CoreInstruments>>();
let globalTelemetry: Telemetry<CoreInstruments> | undefined;

/**
 * Links a store to its telemetry, for {@link coreTelemetryOf}.
 *
 * @example
 * attachCoreTelemetry(store, createCoreTelemetry(options));
 */
export function attachCoreTelemetry(store: object, telemetry: Telemetry<CoreInstruments>): void {
  telemetryOfStores.set(store, telemetry);
}

/**
 * The telemetry of a store from `getRedisEventStore` (its providers), or, for any other
 * `EventStore`, one that uses the global providers.
 *
 * @example
 * const tracer = coreTelemetryOf(store).tracer();
 */
export function coreTelemetryOf(store: object): Telemetry<CoreInstruments> {
  const telemetry = telemetryOfStores.get(store);
  if (telemetry) return telemetry;
  globalTelemetry ??= createCoreTelemetry({});
  return globalTelemetry;
}
