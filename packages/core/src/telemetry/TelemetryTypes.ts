/**
 * The few OpenTelemetry API shapes streamstore uses, declared here so that no public type of
 * streamstore names `@opentelemetry/api`: it is an optional peer dependency, and a user without it
 * must not get type errors from our declarations (issue 7, "no cost when absent"). They match the
 * API's `Tracer`, `Span`, `Meter` and instruments structurally, so the real objects fit.
 */

/**
 * Span and metric attributes (no `undefined` values: leave a key out instead).
 *
 * @example
 * const attributes: TelemetryAttributes = { "streamstore.category": "account" };
 */
export type TelemetryAttributes = Record<string, string | number | boolean>;

/**
 * A span, as streamstore uses it (a subset of the OpenTelemetry API's `Span`).
 *
 * @example
 * if (span.isRecording()) span.setAttribute("streamstore.conflict", true);
 */
export interface TelemetrySpan {
  setAttribute(key: string, value: string | number | boolean): unknown;
  setAttributes(attributes: TelemetryAttributes): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  recordException(exception: Error | string): void;
  end(endTime?: number): void;
  /** False for a sampled-out or no-op span: skip computing attributes then. */
  isRecording(): boolean;
}

/**
 * Options of a new span (a subset of the OpenTelemetry API's `SpanOptions`).
 *
 * @example
 * const options: TelemetrySpanOptions = { kind: SPAN_KIND_CLIENT, attributes: { "db.system.name": "redis" } };
 */
export interface TelemetrySpanOptions {
  /** `SpanKind`: 0 internal, 1 server, 2 client, 3 producer, 4 consumer. */
  kind?: number;
  attributes?: TelemetryAttributes;
}

/**
 * A tracer (a subset of the OpenTelemetry API's `Tracer`).
 *
 * @example
 * const span = tracer.startSpan("streamstore.append", { kind: SPAN_KIND_CLIENT });
 */
export interface TelemetryTracer {
  /** A span whose parent is the active span (the API's context), if any. */
  startSpan(name: string, options?: TelemetrySpanOptions): TelemetrySpan;
  /** Runs `fn` with the new span active, so spans started inside are its children. */
  startActiveSpan<Result>(
    name: string,
    options: TelemetrySpanOptions,
    fn: (span: TelemetrySpan) => Result,
  ): Result;
}

/**
 * A counter (the OpenTelemetry API's `Counter`).
 *
 * @example
 * counter.add(1, { "streamstore.category": "account" });
 */
export interface TelemetryCounter {
  add(value: number, attributes?: TelemetryAttributes): void;
}

/**
 * A histogram (the OpenTelemetry API's `Histogram`).
 *
 * @example
 * histogram.record(0.42, { "streamstore.outcome": "ok" });
 */
export interface TelemetryHistogram {
  record(value: number, attributes?: TelemetryAttributes): void;
}

/**
 * What an observable instrument's callback reports to (the API's `ObservableResult`).
 *
 * @example
 * gauge.addCallback((result: TelemetryObservableResult) => result.observe(0));
 */
export interface TelemetryObservableResult {
  observe(value: number, attributes?: TelemetryAttributes): void;
}

/**
 * An observable gauge (the OpenTelemetry API's `ObservableGauge`).
 *
 * @example
 * gauge.addCallback((result) => result.observe(lag, { "streamstore.partition": 0 }));
 */
export interface TelemetryObservableGauge {
  addCallback(callback: (result: TelemetryObservableResult) => void): void;
  removeCallback(callback: (result: TelemetryObservableResult) => void): void;
}

/**
 * Options of an instrument (the API's `MetricOptions`).
 *
 * @example
 * const options: TelemetryInstrumentOptions = { unit: "ms", description: "Append latency." };
 */
export interface TelemetryInstrumentOptions {
  description?: string;
  unit?: string;
  /** Bucket boundaries: the SDK's defaults are made for seconds-long requests, not sub-ms appends. */
  advice?: { explicitBucketBoundaries?: number[] };
}

/**
 * A meter (a subset of the OpenTelemetry API's `Meter`).
 *
 * @example
 * const appended = meter.createCounter("streamstore.append.events", { unit: "{event}" });
 */
export interface TelemetryMeter {
  createCounter(name: string, options?: TelemetryInstrumentOptions): TelemetryCounter;
  createHistogram(name: string, options?: TelemetryInstrumentOptions): TelemetryHistogram;
  createObservableGauge(
    name: string,
    options?: TelemetryInstrumentOptions,
  ): TelemetryObservableGauge;
}

/**
 * Anything with `getTracer`: an OpenTelemetry SDK `TracerProvider` (e.g. `BasicTracerProvider`,
 * `NodeTracerProvider`) or `trace.getTracerProvider()`.
 *
 * @example
 * const tracerProvider: TracerProviderLike = new BasicTracerProvider({ spanProcessors });
 */
export interface TracerProviderLike {
  getTracer(name: string, version?: string): unknown;
}

/**
 * Anything with `getMeter`: an OpenTelemetry SDK `MeterProvider` or `metrics.getMeterProvider()`.
 *
 * @example
 * const meterProvider: MeterProviderLike = new MeterProvider({ readers: [reader] });
 */
export interface MeterProviderLike {
  getMeter(name: string, version?: string): unknown;
}

/**
 * The OpenTelemetry options of the store, `handleCommand`'s store, the projection runner and the
 * reactor. Without them, the providers registered globally with `@opentelemetry/api` are used
 * (`NodeSDK.start()` registers them), and without those (or without the package) nothing is
 * recorded and nothing is paid but one check per operation.
 *
 * @example
 * const store = getRedisEventStore({ redis, events, tracerProvider, meterProvider });
 */
export interface TelemetryOptions {
  /** Where spans go. Default: the global tracer provider of `@opentelemetry/api`, if any. */
  tracerProvider?: TracerProviderLike;
  /** Where metrics go. Default: the global meter provider of `@opentelemetry/api`, if any. */
  meterProvider?: MeterProviderLike;
}

/**
 * `SpanKind.INTERNAL` of the OpenTelemetry API (the numbers are part of its stable API).
 *
 * @example
 * tracer.startActiveSpan("streamstore.handle_command", { kind: SPAN_KIND_INTERNAL }, run);
 */
export const SPAN_KIND_INTERNAL = 0;

/**
 * `SpanKind.CLIENT`: a call to Redis.
 *
 * @example
 * tracer.startSpan("streamstore.append", { kind: SPAN_KIND_CLIENT });
 */
export const SPAN_KIND_CLIENT = 2;

/**
 * `SpanKind.CONSUMER`: a batch read from a log by a projection or a reactor.
 *
 * @example
 * tracer.startActiveSpan("streamstore.projection.batch", { kind: SPAN_KIND_CONSUMER }, run);
 */
export const SPAN_KIND_CONSUMER = 4;

/**
 * `SpanStatusCode.ERROR` of the OpenTelemetry API.
 *
 * @example
 * span.setStatus({ code: SPAN_STATUS_ERROR, message: error.message });
 */
export const SPAN_STATUS_ERROR = 2;
