import { loadOpenTelemetryApi } from "./loadOpenTelemetryApi.js";
import {
  SPAN_STATUS_ERROR,
  type TelemetryMeter,
  type TelemetryOptions,
  type TelemetrySpan,
  type TelemetryTracer,
} from "./TelemetryTypes.js";

/**
 * The tracer and instruments of one instrumentation scope, resolved on each call: the explicit
 * providers of the options, else the globally registered ones. Both methods return undefined when
 * nothing would record, which is the one check the hot path pays.
 *
 * @example
 * const tracer = telemetry.tracer();
 * const span = tracer?.startSpan("streamstore.append");
 */
export interface Telemetry<Instruments> {
  /** The tracer, or undefined when no tracer provider is given or registered. */
  tracer(): TelemetryTracer | undefined;
  /** The instruments, or undefined when no meter provider is given or registered. */
  instruments(): Instruments | undefined;
}

/**
 * Names the instrumentation scope (`@streamstore/core`, `@streamstore/projections`).
 *
 * @example
 * const scope: TelemetryScope = { name: "@streamstore/core", version: "0.1.0" };
 */
export interface TelemetryScope {
  name: string;
  version?: string | undefined;
}

/**
 * Creates the {@link Telemetry} of a scope. `createInstruments` runs once per meter provider (the
 * SDK dedupes instruments by name, but creating them per operation would still cost).
 *
 * Providers registered after this call are picked up: the global registry is looked at on each
 * call, which costs a property read and an identity comparison (measured in
 * benchmarks/results/telemetry.md).
 *
 * @example
 * const telemetry = createTelemetry({ name: "@streamstore/projections" }, options, (meter) => ({
 *   events: meter.createCounter("streamstore.projection.events"),
 * }));
 */
export function createTelemetry<Instruments>(
  scope: TelemetryScope | (() => TelemetryScope),
  options: TelemetryOptions,
  createInstruments: (meter: TelemetryMeter) => Instruments,
): Telemetry<Instruments> {
  let resolvedScope: TelemetryScope | undefined;
  const scopeOf = (): TelemetryScope =>
    (resolvedScope ??= typeof scope === "function" ? scope() : scope);

  let explicitTracer: TelemetryTracer | undefined;
  // The global provider's delegate seen last, and the tracer it gave (undefined: none registered).
  let lastDelegate: unknown = {};
  let lastTracer: TelemetryTracer | undefined;
  const tracer = (): TelemetryTracer | undefined => {
    if (options.tracerProvider) {
      const { name, version } = scopeOf();
      explicitTracer ??= options.tracerProvider.getTracer(name, version) as TelemetryTracer;
      return explicitTracer;
    }
    const api = loadOpenTelemetryApi();
    if (!api) return undefined;
    const provider = api.trace.getTracerProvider();
    // API 1.x hands out a proxy: ask whether something is registered behind it, instead of
    // starting no-op spans on every append.
    const delegate = typeof provider.getDelegate === "function" ? provider.getDelegate() : provider;
    if (delegate === lastDelegate) return lastTracer;
    lastDelegate = delegate;
    const { name, version } = scopeOf();
    lastTracer = (
      typeof provider.getDelegateTracer === "function"
        ? provider.getDelegateTracer(name, version)
        : provider.getTracer(name, version)
    ) as TelemetryTracer | undefined;
    return lastTracer;
  };

  let explicitInstruments: Instruments | undefined;
  let lastMeterProvider: unknown;
  let lastInstruments: Instruments | undefined;
  const instruments = (): Instruments | undefined => {
    if (options.meterProvider) {
      const { name, version } = scopeOf();
      explicitInstruments ??= createInstruments(
        options.meterProvider.getMeter(name, version) as TelemetryMeter,
      );
      return explicitInstruments;
    }
    const api = loadOpenTelemetryApi();
    if (!api) return undefined;
    // The metrics API has no proxy: without a registered provider it returns its no-op one.
    const provider = api.metrics.getMeterProvider();
    if (provider === lastMeterProvider) return lastInstruments;
    lastMeterProvider = provider;
    const { name, version } = scopeOf();
    const meter = provider.getMeter(name, version);
    lastInstruments =
      meter === api.createNoopMeter() ? undefined : createInstruments(meter as TelemetryMeter);
    return lastInstruments;
  };

  return { tracer, instruments };
}

// The providers a store was created with, so that handleCommand and the runners that get the
// store use them too without being told again.
const optionsOfStores = new WeakMap<object, TelemetryOptions>();

/**
 * Remembers the telemetry options a store was created with (see {@link telemetryOptionsOf}).
 *
 * @example
 * rememberTelemetryOptions(store, { tracerProvider });
 */
export function rememberTelemetryOptions(store: object, options: TelemetryOptions): void {
  if (options.tracerProvider || options.meterProvider) optionsOfStores.set(store, options);
}

/**
 * The `tracerProvider` and `meterProvider` a store was created with (empty when none), for
 * components that take a store, such as the projection runner.
 *
 * @example
 * const telemetryOptions = { ...telemetryOptionsOf(store), ...runnerOptions };
 */
export function telemetryOptionsOf(store: object | undefined): TelemetryOptions {
  return (store && optionsOfStores.get(store)) || {};
}

/**
 * An error's text for a span status or a log field.
 *
 * @example
 * span.setStatus({ code: SPAN_STATUS_ERROR, message: errorMessage(error) });
 */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Marks a span failed: status ERROR with the message, the exception recorded, `error.type` set
 * (the streamstore error's code, or the error's name), per the OpenTelemetry conventions.
 *
 * @example
 * catch (error) { failSpan(span, error); throw error; }
 */
export function failSpan(span: TelemetrySpan, error: unknown): void {
  const type =
    (error as { code?: unknown })?.code ?? (error instanceof Error ? error.name : "Error");
  span.setAttribute("error.type", String(type));
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SPAN_STATUS_ERROR, message: errorMessage(error) });
}
