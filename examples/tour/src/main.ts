import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { main as auditLog } from "example-audit-log";
import { main as bankAccount } from "example-bank-account";
import { main as personalData } from "example-personal-data";
import { main as realtimeAnalytics } from "example-realtime-analytics";
import { main as streamManagement } from "example-stream-management";
import { main as workQueue } from "example-work-queue";

/** Options of {@link main}. */
export interface TourOptions {
  /** Where the tour goes, one line at a time. Default: stdout. */
  print?: (line: string) => void;
  /** Smaller runs of each example. */
  quick?: boolean;
}

/** One figure of the closing table. */
export interface TourFigure {
  example: string;
  figure: string;
  value: string;
}

const rule = "=".repeat(78);

/**
 * Runs every example on the in-memory fake, one section each, then prints the figures that
 * matter side by side: events appended, versions, conflicts retried, projection lag, latency,
 * dead letters.
 *
 * @example
 * await main({ quick: true });
 */
export async function main(options: TourOptions = {}): Promise<TourFigure[]> {
  const print = options.print ?? ((line: string) => console.log(line));
  const quick = options.quick ?? false;
  const started = performance.now();
  const figures: TourFigure[] = [];
  const add = (example: string, figure: string, value: number | string) =>
    figures.push({ example, figure, value: String(value) });
  const section = async <Summary>(
    number: number,
    name: string,
    intro: string,
    run: (print: (line: string) => void) => Promise<Summary>,
  ): Promise<Summary> => {
    print("");
    print(rule);
    print(`${number}/6  ${name}   (pnpm --filter example-${name} start)`);
    print(rule);
    for (const line of intro.split("\n")) print(line);
    print("");
    const sectionStart = performance.now();
    const summary = await run((line) => print(`  | ${line}`));
    print(`  (${((performance.now() - sectionStart) / 1000).toFixed(1)} s)`);
    return summary;
  };

  print("streamstore tour: event sourcing on Redis Streams, every example on the in-memory fake.");
  print(
    `No Redis needed; each example also runs on a real one with REDIS_URL=redis://... ${quick ? "(quick run)" : ""}`.trimEnd(),
  );

  const bank = await section(
    1,
    "bank-account",
    "An account is a decider (decide + evolve). Commands go through handleCommand, which appends at\nthe version it loaded; concurrent withdrawals conflict and are retried on fresh state.",
    (out) => bankAccount({ print: out, quick }),
  );
  add("bank-account", "events appended", bank.eventsAppended);
  add("bank-account", "account-alice version", bank.finalVersion);
  add("bank-account", "conflicts retried", bank.conflictsRetried);
  add(
    "bank-account",
    "withdrawals accepted / refused",
    `${bank.withdrawalsAccepted} / ${bank.withdrawalsRefused}`,
  );
  add("bank-account", "projection lag", bank.projectionLag);

  const queue = await section(
    2,
    "work-queue",
    "Jobs on one consumer group, shared by three workers. One worker dies mid-job and its job is\nclaimed (XAUTOCLAIM); a poison job goes to the dead-letter stream after 3 deliveries. Then the\nsame with the toolkit's reactor, which does the group, acks, claims and dead letters itself.",
    (out) => workQueue({ print: out, quick }),
  );
  add("work-queue", "jobs / completed", `${queue.jobs} / ${queue.completed}`);
  add("work-queue", "claimed from a dead or failing worker", queue.claimedFromOthers);
  add("work-queue", "dead letters", queue.deadLettered);
  add(
    "work-queue",
    "reactor: jobs / completed / taken over",
    `${queue.reactor.jobs} / ${queue.reactor.completed} / ${queue.reactor.takenOver}`,
  );
  add("work-queue", "reactor dead letters", queue.reactor.deadLetters);
  add("work-queue", "pending at the end", queue.pendingAtEnd + queue.reactor.pending);

  const audit = await section(
    3,
    "audit-log",
    "Every change is an event with its actor. Read newest-first (store.read backward), by type, and by\ntime range (the category log's ids are timestamps).",
    (out) => auditLog({ print: out, quick }),
  );
  add("audit-log", "events appended", audit.eventsAppended);
  add("audit-log", "changes in the incident window", audit.inWindow);

  const analytics = await section(
    4,
    "realtime-analytics",
    "Page views appended live while a projection tails them into per-minute counters; the time from\nappend to visible in the read model is measured for every view.",
    (out) => realtimeAnalytics({ print: out, quick }),
  );
  add("realtime-analytics", "events appended", analytics.eventsAppended);
  add(
    "realtime-analytics",
    "append -> visible p50 / p99",
    `${analytics.latencyP50Ms.toFixed(1)} ms / ${analytics.latencyP99Ms.toFixed(1)} ms`,
  );
  add("realtime-analytics", "projection lag", analytics.projectionLag);

  const operations = await section(
    5,
    "stream-management",
    "What an operator looks at: an aggregate's index and the log entries it points at, XINFO\nSTREAM/GROUPS/CONSUMERS, XPENDING, the projection status (lag while stopped, gone after a\nrestart), and retention that trims derived streams only.",
    (out) => streamManagement({ print: out, quick }),
  );
  add("stream-management", "events appended", operations.eventsAppended);
  add(
    "stream-management",
    "projection lag stopped / restarted",
    `${operations.lagWhileStopped} / ${operations.lagAfterRestart}`,
  );
  add("stream-management", "notifications trimmed", operations.notificationsTrimmed);
  add(
    "stream-management",
    "order-7 version / order log entries after trim",
    `${operations.aggregateVersionAfterTrim} / ${operations.logLengthAfterTrim}`,
  );

  const privacy = await section(
    6,
    "personal-data",
    "Crypto-shredding: a customer's email and name are encrypted with the customer's own key. The\ncustomer is forgotten (the key destroyed): every event stays, those fields read as forgotten,\nthe read model erases its copy, and other customers are untouched.",
    (out) => personalData({ print: out }),
  );
  add(
    "personal-data",
    "fields forgotten / others intact",
    `${privacy.fieldsForgotten} / ${privacy.othersIntact ? "yes" : "no"}`,
  );
  add("personal-data", "append for the forgotten refused", privacy.appendRefused ? "yes" : "no");

  print("");
  print(rule);
  print("Figures");
  print(rule);
  const exampleWidth = Math.max(...figures.map((figure) => figure.example.length));
  const figureWidth = Math.max(...figures.map((figure) => figure.figure.length));
  for (const { example, figure, value } of figures) {
    print(`  ${example.padEnd(exampleWidth)}  ${figure.padEnd(figureWidth)}  ${value}`);
  }
  const total =
    bank.eventsAppended +
    audit.eventsAppended +
    analytics.eventsAppended +
    operations.eventsAppended +
    privacy.eventsAppended +
    queue.jobs +
    queue.completed +
    queue.deadLettered +
    queue.reactor.jobs +
    queue.reactor.completed +
    queue.reactor.deadLetters;
  print("");
  print(
    `Tour done in ${((performance.now() - started) / 1000).toFixed(1)} s: ${total} events appended in all. Each example's code is in examples/<name>/src; to write a project of your own, follow the tutorial: docs/getting-started.md (examples/tutorial).`,
  );
  return figures;
}

function isDirectRun(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

if (isDirectRun(import.meta.url)) {
  main({ quick: process.argv.includes("--quick") }).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
