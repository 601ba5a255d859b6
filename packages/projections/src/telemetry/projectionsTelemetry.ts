import type { TelemetryOptions } from "@streamstore/core";
import {
  createTelemetry,
  packageVersion,
  type Telemetry,
  type TelemetryAttributes,
  type TelemetryCounter,
  type TelemetryMeter,
  telemetryOptionsOf,
} from "@streamstore/core/internal";

/**
 * The metric instruments of `@streamstore/projections` (see docs/observability.md).
 *
 * @example
 * telemetry.instruments()?.events.add(batch.length, partitionAttributes);
 */
export interface ProjectionInstruments {
  /** Log entries a projection committed past (applied, skipped or dead-lettered). */
  events: TelemetryCounter;
  deadLetters: TelemetryCounter;
  /** Entries handed to a handler again: claimed from the pending list, or retried after a failure. */
  redeliveries: TelemetryCounter;
  /** Entries a reactor handled (acked after success or dead-lettering). */
  reactorEvents: TelemetryCounter;
  reactorDeadLetters: TelemetryCounter;
  reactorRedeliveries: TelemetryCounter;
}

/**
 * The telemetry of one projection build or reactor: tracer, instruments, and the lag of each owned
 * partition, which the `streamstore.projection.lag` gauge reports when metrics are collected.
 *
 * @example
 * const telemetry = createProjectionsTelemetry({ meterProvider });
 * telemetry.lags.set("account:0", { value: 0, attributes });
 */
export interface ProjectionsTelemetry extends Telemetry<ProjectionInstruments> {
  /** Last measured lag per owned partition (removed when the partition is released). */
  readonly lags: Map<string, { value: number; attributes: TelemetryAttributes }>;
}

/**
 * Creates the telemetry of a runner or reactor (meter and tracer `@streamstore/projections`).
 *
 * @example
 * const telemetry = createProjectionsTelemetry({ ...telemetryOptionsOf(store), ...runnerOptions });
 */
export function createProjectionsTelemetry(options: TelemetryOptions): ProjectionsTelemetry {
  const lags = new Map<string, { value: number; attributes: TelemetryAttributes }>();
  const telemetry = createTelemetry(
    () => ({
      name: "@streamstore/projections",
      version: packageVersion(import.meta.url, "../../package.json"),
    }),
    options,
    (meter: TelemetryMeter): ProjectionInstruments => {
      // A gauge read at collection time from the values measured after each batch: no Redis
      // call in the exporter's path, and nothing at all while metrics are off.
      meter
        .createObservableGauge("streamstore.projection.lag", {
          description:
            "Log entries not yet applied by a projection build, per owned partition, as measured after its last batch.",
          unit: "{entry}",
        })
        .addCallback((result) => {
          for (const { value, attributes } of lags.values()) result.observe(value, attributes);
        });
      return {
        events: meter.createCounter("streamstore.projection.events", {
          description: "Log entries committed by a projection (applied, skipped or dead-lettered).",
          unit: "{entry}",
        }),
        deadLetters: meter.createCounter("streamstore.projection.dead_letters", {
          description: "Entries a projection moved to its dead-letter stream.",
          unit: "{entry}",
        }),
        redeliveries: meter.createCounter("streamstore.projection.redeliveries", {
          description:
            "Entries delivered to a projection again: claimed from the consumer group's pending list (XAUTOCLAIM) or retried after a handler failure.",
          unit: "{entry}",
        }),
        reactorEvents: meter.createCounter("streamstore.reactor.events", {
          description: "Log entries a reactor acknowledged (handled or dead-lettered).",
          unit: "{entry}",
        }),
        reactorDeadLetters: meter.createCounter("streamstore.reactor.dead_letters", {
          description: "Entries a reactor moved to its dead-letter stream.",
          unit: "{entry}",
        }),
        reactorRedeliveries: meter.createCounter("streamstore.reactor.redeliveries", {
          description:
            "Entries delivered to a reactor again: claimed from another worker (XAUTOCLAIM) or retried after a handler failure.",
          unit: "{entry}",
        }),
      };
    },
  );
  return { ...telemetry, lags };
}

/**
 * The providers a runner or reactor uses: its own options first, then those of the store it was
 * given (so that configuring the store is enough), else none (the global ones then).
 *
 * @example
 * const options = telemetryOptionsFor(runnerOptions, runnerOptions.store);
 */
export function telemetryOptionsFor(
  own: TelemetryOptions,
  store: object | undefined,
): TelemetryOptions {
  const fromStore = telemetryOptionsOf(store);
  const tracerProvider = own.tracerProvider ?? fromStore.tracerProvider;
  const meterProvider = own.meterProvider ?? fromStore.meterProvider;
  return { ...(tracerProvider && { tracerProvider }), ...(meterProvider && { meterProvider }) };
}
