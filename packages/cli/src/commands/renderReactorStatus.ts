import type { ReactorStatus } from "@streamstore/projections";
import type { Output } from "../output/Output.js";

/** Consumers named on a reactor's status line; the others are counted. */
const CONSUMERS_SHOWN = 5;

const time = (at: number | null) => (at === null ? "-" : new Date(at).toISOString());

function idle(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}

/**
 * A reactor's status for people: a title line (group, consumers, dead letters, last activity,
 * health), the consumers most recently active, and a table per source partition (its group, last
 * delivered entry, lag, pending, consumers, last activity). `?` is a lag Redis cannot count.
 *
 * @example
 * output.line(renderReactorStatus(output, await getReactorStatus(mailer, { redis, prefix })));
 */
export function renderReactorStatus(output: Output, status: ReactorStatus): string {
  const c = output.colors;
  const consumers = status.consumers
    .slice(0, CONSUMERS_SHOWN)
    .map(
      (consumer) =>
        `${consumer.name} (active ${idle(consumer.idleMs)} ago, ${consumer.pending} pending)`,
    );
  const more = status.consumers.length - consumers.length;
  const lines = [
    `${c.bold(status.reactor)}  ${c.cyan("reactor")}  group ${status.group}  consumers ${status.consumers.length}  dead letters ${status.deadLetters > 0 ? c.red(String(status.deadLetters)) : 0}  last activity ${time(status.lastActivityAt)}  ${status.healthy ? c.green("healthy") : c.yellow("unhealthy")}`,
  ];
  if (consumers.length > 0) {
    lines.push(`consumers: ${consumers.join(", ")}${more > 0 ? `, and ${more} more` : ""}`);
  }
  lines.push(
    output.renderTable(
      [
        "partition",
        "group",
        "last delivered",
        "lag",
        "pending",
        "consumers",
        "dead letters",
        "last activity",
      ],
      status.partitions.map((partition) => [
        `${partition.category}:${partition.partition}`,
        partition.group ?? c.yellow("none (never read)"),
        partition.lastDelivered ?? "-",
        partition.group === null ? "-" : (partition.lag ?? "?"),
        partition.pending,
        partition.consumers,
        status.deadLetters,
        time(partition.lastActivityAt),
      ]),
    ),
  );
  return lines.join(output.lineBreak);
}
