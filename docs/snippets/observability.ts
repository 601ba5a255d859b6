// docs/observability.md
import { metrics, trace } from "@opentelemetry/api";
import { MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
} from "@opentelemetry/sdk-trace-base";
import { getRedisEventStore, handleCommand } from "@streamstore/core";
import { startProjection } from "@streamstore/projections";
import { Redis } from "ioredis";
import { pino } from "pino";
import { account, balances, events } from "./bank.js";

const redis = new Redis(process.env.REDIS_URL as string);
declare const metricExporter: ConstructorParameters<
  typeof PeriodicExportingMetricReader
>[0]["exporter"];

// #region global
// What NodeSDK.start() does: register the providers globally. streamstore finds them on its
// own, even when they are registered after the store was created.
const tracerProvider = new BasicTracerProvider({
  spanProcessors: [new BatchSpanProcessor(new ConsoleSpanExporter())],
});
const meterProvider = new MeterProvider({
  readers: [new PeriodicExportingMetricReader({ exporter: metricExporter })],
});
trace.setGlobalTracerProvider(tracerProvider);
metrics.setGlobalMeterProvider(meterProvider);

const store = getRedisEventStore({ redis, events, prefix: "bank" });
await handleCommand(store, "account-1", account, { type: "Open", owner: "Ada" });
// #endregion

// #region explicit
// Or give the providers to the store: handleCommand, and the runners given this store, use
// them too (a runner's own tracerProvider / meterProvider options win).
const tracedStore = getRedisEventStore({ redis, events, tracerProvider, meterProvider });
const runner = startProjection(balances, { redis, store: tracedStore });
// #endregion

// #region pino
// A pino logger fits as it is; records carry structured fields (projection, build, partition,
// worker, stream, error...).
const logger = pino({ level: "info" });
const loggedStore = getRedisEventStore({ redis, events, logger });
const loggedRunner = startProjection(balances, { redis, store: loggedStore, logger });
// #endregion

// #region warning
// No logger: streamstore writes nothing, except one process warning per server that keeps
// nothing on disk. Handle it like any Node warning (or run node --no-warnings).
process.on("warning", (warning) => {
  if ((warning as Error & { code?: string }).code === "STREAMSTORE_NO_PERSISTENCE") {
    logger.warn({ code: "STREAMSTORE_NO_PERSISTENCE" }, warning.message);
  }
});
// #endregion

await runner.stop();
await loggedRunner.stop();
