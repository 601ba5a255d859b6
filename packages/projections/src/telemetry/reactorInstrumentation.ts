import { failSpan, SPAN_KIND_CONSUMER, type TelemetryAttributes } from "@streamstore/core/internal";
import type { ProjectionsTelemetry } from "./projectionsTelemetry.js";

/** How handling one entry of a reactor ended. */
export type ReactorOutcome = "handled" | "skipped" | "dead-lettered" | "retry-later";

/**
 * What the handling of one reactor entry reports while it runs.
 *
 * @example
 * probe.deadLettered("corrupt");
 */
export interface ReactorEntryProbe {
  /** The entry went to the dead-letter stream. */
  deadLettered(reason: "handler" | "corrupt"): void;
  /** The handler failed and is run again. */
  retried(): void;
}

/**
 * What a reactor reports, around the handling of each entry: the handler logic runs inside
 * `handle` and knows nothing of spans or metrics. {@link NO_REACTOR_INSTRUMENTATION} does nothing.
 *
 * @example
 * await instrumentation.handle(source, entry[0], claimed, (probe) => handleOnce(source, entry, probe));
 */
export interface ReactorInstrumentation {
  handle(
    source: { category: string; partition: number },
    entryId: string,
    claimed: boolean,
    run: (probe: ReactorEntryProbe) => Promise<ReactorOutcome>,
  ): Promise<unknown>;
}

const NO_PROBE: ReactorEntryProbe = { deadLettered: () => {}, retried: () => {} };

/** Reports nothing: the default of a reactor without telemetry. */
export const NO_REACTOR_INSTRUMENTATION: ReactorInstrumentation = {
  handle: (_source, _entryId, _claimed, run) => run(NO_PROBE),
};

/**
 * The spans and metrics of a reactor (docs/observability.md): one `streamstore.reactor.handle`
 * span per entry (handlers run concurrently, so a batch span would not say which one was slow);
 * counters of what was acked, redelivered and dead-lettered. Providers are looked up per entry.
 *
 * @example
 * const instrumentation = reactorInstrumentation(telemetry, { reactor: "welcome", workerId });
 */
export function reactorInstrumentation(
  telemetry: ProjectionsTelemetry,
  worker: { reactor: string; workerId: string },
): ReactorInstrumentation {
  return {
    handle(source, entryId, claimed, run) {
      const tracer = telemetry.tracer();
      const instruments = telemetry.instruments();
      if (!tracer && !instruments) return run(NO_PROBE);
      const attributes: TelemetryAttributes = {
        "streamstore.reactor.name": worker.reactor,
        "streamstore.category": source.category,
        "streamstore.partition": source.partition,
      };
      if (claimed) {
        instruments?.reactorRedeliveries.add(1, {
          ...attributes,
          "streamstore.redelivery.reason": "claimed",
        });
      }
      const probe: ReactorEntryProbe = {
        deadLettered: (reason) =>
          telemetry.instruments()?.reactorDeadLetters.add(1, {
            ...attributes,
            "streamstore.dead_letter.reason": reason,
          }),
        retried: () =>
          telemetry.instruments()?.reactorRedeliveries.add(1, {
            ...attributes,
            "streamstore.redelivery.reason": "retry",
          }),
      };
      const measured = async (span?: { setAttributes(a: TelemetryAttributes): unknown }) => {
        const outcome = await run(probe);
        span?.setAttributes({ "streamstore.outcome": outcome });
        if (outcome !== "retry-later") instruments?.reactorEvents.add(1, attributes);
      };
      if (!tracer) return measured();
      return tracer.startActiveSpan(
        "streamstore.reactor.handle",
        {
          kind: SPAN_KIND_CONSUMER,
          attributes: {
            ...attributes,
            "streamstore.entry_id": entryId,
            "streamstore.worker.id": worker.workerId,
          },
        },
        async (span) => {
          try {
            await measured(span);
          } catch (error) {
            failSpan(span, error);
            throw error;
          } finally {
            span.end();
          }
        },
      );
    },
  };
}
