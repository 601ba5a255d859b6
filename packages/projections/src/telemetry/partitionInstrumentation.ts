import { failSpan, SPAN_KIND_CONSUMER, type TelemetryAttributes } from "@streamstore/core/internal";
import type { ProjectionsTelemetry } from "./projectionsTelemetry.js";

/** Where a partition of a projection build is, when its batches run. */
export type BatchPhase = "live" | "catch-up";

/**
 * What a projection's partition worker reports, at named points of its logic: the logic calls it
 * and knows nothing of spans or metrics. {@link NO_PARTITION_INSTRUMENTATION} does nothing.
 *
 * @example
 * const failure = await instrumentation.batch("live", () => applyAndCommit(batch));
 */
export interface PartitionInstrumentation {
  /** Runs one batch attempt (in a `streamstore.projection.batch` span when traced). */
  batch<Failure extends { error: unknown } | undefined>(
    phase: BatchPhase,
    attempt: () => Promise<Failure>,
  ): Promise<Failure>;
  /** Whether someone looks at the lag after a commit (so that it is worth measuring). */
  wantsLag(): boolean;
  /** A commit went through: `entries` gone past, dead letters by reason, the lag left after it. */
  committed(entries: number, deadLetterReasons: readonly string[], lag: number | undefined): void;
  /** Entries handed to the handlers again: claimed from the pending list, or retried. */
  redelivered(count: number, reason: "claimed" | "retry"): void;
  /** The partition is no longer owned: its lag is no longer reported. */
  released(): void;
}

/**
 * What a projection runner reports: one {@link PartitionInstrumentation} per owned partition.
 *
 * @example
 * const instrumentation = runnerInstrumentation(telemetry, { projection: "balances", build: "v1", workerId });
 */
export interface RunnerInstrumentation {
  partition(category: string, partition: number): PartitionInstrumentation;
}

/** Reports nothing: the default of a partition worker without telemetry. */
export const NO_PARTITION_INSTRUMENTATION: PartitionInstrumentation = {
  batch: (_phase, attempt) => attempt(),
  wantsLag: () => false,
  committed: () => {},
  redelivered: () => {},
  released: () => {},
};

/** Reports nothing: the default of a runner without telemetry. */
export const NO_RUNNER_INSTRUMENTATION: RunnerInstrumentation = {
  partition: () => NO_PARTITION_INSTRUMENTATION,
};

/** What the commits of one traced batch did, for its span. */
interface BatchRecord {
  size: number;
  deadLetters: number;
  lag: number | undefined;
}

/**
 * The spans and metrics of a projection build's partitions (docs/observability.md). Providers
 * are looked up at each point, so both cost one check per batch while off.
 *
 * @example
 * const partition = runnerInstrumentation(telemetry, build).partition("account", 0);
 */
export function runnerInstrumentation(
  telemetry: ProjectionsTelemetry,
  build: { projection: string; build: string; workerId: string },
): RunnerInstrumentation {
  return {
    partition(category, partition) {
      const attributes: TelemetryAttributes = {
        "streamstore.projection.name": build.projection,
        "streamstore.projection.build": build.build,
        "streamstore.category": category,
        "streamstore.partition": partition,
      };
      const lagKey = `${build.build}|${category}:${partition}`;
      // The batch being traced, while its span is open (one batch at a time per partition).
      let open: BatchRecord | undefined;
      return {
        batch(phase, attempt) {
          const tracer = telemetry.tracer();
          if (!tracer) return attempt();
          return tracer.startActiveSpan(
            "streamstore.projection.batch",
            {
              kind: SPAN_KIND_CONSUMER,
              attributes: {
                ...attributes,
                "streamstore.projection.phase": phase,
                "streamstore.worker.id": build.workerId,
              },
            },
            // The span is active, so Redis client spans (an ioredis instrumentation) nest in it.
            async (span) => {
              const record: BatchRecord = { size: 0, deadLetters: 0, lag: undefined };
              open = record;
              try {
                const failure = await attempt();
                if (failure !== undefined) failSpan(span, failure.error);
                return failure;
              } catch (error) {
                failSpan(span, error);
                throw error;
              } finally {
                open = undefined;
                span.setAttributes({
                  "streamstore.batch.size": record.size,
                  "streamstore.batch.dead_letters": record.deadLetters,
                });
                if (record.lag !== undefined)
                  span.setAttribute("streamstore.batch.lag", record.lag);
                span.end();
              }
            },
          );
        },
        wantsLag: () => open !== undefined || telemetry.instruments() !== undefined,
        committed(entries, deadLetterReasons, lag) {
          if (open) {
            open.size += entries;
            open.deadLetters += deadLetterReasons.length;
            if (lag !== undefined) open.lag = lag;
          }
          const instruments = telemetry.instruments();
          if (!instruments) return;
          instruments.events.add(entries, attributes);
          for (const reason of deadLetterReasons) {
            instruments.deadLetters.add(1, {
              ...attributes,
              "streamstore.dead_letter.reason": reason,
            });
          }
          if (lag !== undefined) telemetry.lags.set(lagKey, { value: lag, attributes });
        },
        redelivered(count, reason) {
          telemetry.instruments()?.redeliveries.add(count, {
            ...attributes,
            "streamstore.redelivery.reason": reason,
          });
        },
        released: () => {
          telemetry.lags.delete(lagKey);
        },
      };
    },
  };
}
