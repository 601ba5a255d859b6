import { createRequire } from "node:module";

/** The parts of `@opentelemetry/api` streamstore reads. */
export interface OpenTelemetryApi {
  trace: {
    getTracerProvider(): {
      getTracer(name: string, version?: string): unknown;
      /** ProxyTracerProvider (API 1.x): the registered provider, or the API's no-op one. */
      getDelegate?(): unknown;
      /** ProxyTracerProvider (API 1.x): undefined while no provider is registered. */
      getDelegateTracer?(name: string, version?: string): unknown;
    };
  };
  metrics: { getMeterProvider(): { getMeter(name: string, version?: string): unknown } };
  createNoopMeter(): unknown;
}

let loaded: { api: OpenTelemetryApi | undefined } | undefined;

/**
 * `@opentelemetry/api` if it is installed, else undefined; loaded once, on first use.
 *
 * Synchronous `require` on purpose: a top-level `await import()` would make our modules
 * unloadable with Node 20's `require(esm)`, and an async load would make the first operations
 * untraced. The API ships CommonJS, and its registry of providers lives on `globalThis`, so this
 * copy sees what the application's copy registered (issue 7).
 *
 * @example
 * const api = loadOpenTelemetryApi();
 * if (api) api.trace.getTracerProvider();
 */
export function loadOpenTelemetryApi(): OpenTelemetryApi | undefined {
  if (loaded) return loaded.api;
  try {
    loaded = { api: createRequire(import.meta.url)("@opentelemetry/api") as OpenTelemetryApi };
  } catch {
    // Not installed (it is an optional peer dependency): telemetry stays off, nothing else changes.
    loaded = { api: undefined };
  }
  return loaded.api;
}

/**
 * The `version` field of the package.json at `relativePath` from `moduleUrl` (the instrumentation
 * scope's version), or undefined when it cannot be read (a bundle).
 *
 * @example
 * const version = packageVersion(import.meta.url, "../../package.json");
 */
export function packageVersion(moduleUrl: string, relativePath: string): string | undefined {
  try {
    const manifest = createRequire(moduleUrl)(relativePath) as { version?: unknown };
    return typeof manifest.version === "string" ? manifest.version : undefined;
  } catch {
    return undefined;
  }
}
