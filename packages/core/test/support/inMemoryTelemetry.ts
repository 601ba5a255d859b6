import { context } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll } from "vitest";

// Shared by the telemetry tests of core and projections (imported by relative path): test-only,
// so that @streamstore/testing does not take the OpenTelemetry SDK as a runtime dependency.

/**
 * A metric reader collected by hand: the test decides when metrics are read, no timers.
 *
 * @example
 * const reader = new CollectingReader();
 * const meterProvider = new MeterProvider({ readers: [reader] });
 */
export class CollectingReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

/** A metric's data point (a counter's value is a number, a histogram's an object). */
export type MetricPoint = { attributes: Record<string, unknown>; value: unknown };

/**
 * Collects `reader` now and returns the data points of the metric called `name`.
 *
 * @example
 * const durations = await pointsOf(reader, "streamstore.append.duration");
 */
export async function pointsOf(reader: MetricReader, name: string): Promise<MetricPoint[]> {
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .filter((metric) => metric.descriptor.name === name)
    .flatMap((metric) => metric.dataPoints as MetricPoint[]);
}

/**
 * The sum of counter points' values.
 *
 * @example
 * expect(sumOf(await pointsOf(reader, "streamstore.append.events"))).toBe(2);
 */
export function sumOf(points: MetricPoint[]): number {
  return points.reduce((total, point) => total + Number(point.value), 0);
}

/** Providers that keep what they record in memory, for a test to read back. */
export interface InMemoryTelemetry {
  /** Every finished span, exported at once (SimpleSpanProcessor). */
  exporter: InMemorySpanExporter;
  tracerProvider: BasicTracerProvider;
  /** Read with {@link pointsOf}. */
  reader: CollectingReader;
  meterProvider: MeterProvider;
}

/**
 * A tracer provider exporting into memory and a meter provider read by hand, new for each test.
 *
 * @example
 * const { exporter, tracerProvider, reader, meterProvider } = inMemoryTelemetry();
 * const store = getRedisEventStore({ redis, events, tracerProvider, meterProvider });
 */
export function inMemoryTelemetry(): InMemoryTelemetry {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const reader = new CollectingReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  return { exporter, tracerProvider, reader, meterProvider };
}

/**
 * Registers the AsyncLocalStorage context manager for the file's tests, and removes it after.
 * What NodeSDK does: without a context manager no span can be the parent of another across
 * awaits, in any library.
 *
 * @example
 * useAsyncContextManager(); // at the top level of a test file
 */
export function useAsyncContextManager(): void {
  const contextManager = new AsyncLocalStorageContextManager();
  beforeAll(() => {
    context.setGlobalContextManager(contextManager.enable());
  });
  afterAll(() => {
    context.disable();
  });
}
