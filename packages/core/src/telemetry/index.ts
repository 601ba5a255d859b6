export * from "./createTelemetry.js";
export * from "./loadOpenTelemetryApi.js";
export * from "./TelemetryTypes.js";
