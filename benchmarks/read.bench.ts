/**
 * pnpm bench:read — read latency of @streamstore/core under storage layout 2 against the bare
 * minimum on the same private redis-server in the same run:
 *  - `store.read()` of a whole 10-, 100- and 1,000-event aggregate, against one XRANGE of as many
 *    entries from the same category log + JSON.parse of their payloads;
 *  - `handleCommand` (a trivial decider) on a 100-event aggregate, against XRANGE of 100 entries
 *    + JSON.parse + one bare append script (bench:append's);
 *  - `aggregateStream` at 10, 100 and 1,000 events, and at 1,000 events from a snapshot taken at
 *    version 1,000, to say from how many events snapshots pay off;
 *  - where the time goes: the raw page (`readAggregatePage`, no decoding) beside store.read, with
 *    its entries fetched by XREAD (the default above READ_XREAD_ABOVE versions) and looked up in
 *    the read script, and Redis's own time per read (INFO commandstats) of each, and of the bare
 *    XRANGE.
 * One request at a time; the sides alternate request by request. Writes
 * benchmarks/results/read.{json,md}.
 *
 * Flags: --iterations N (requests per side at 10 and 100 events, default 2,000; a fifth of that
 * at 1,000 events and for handleCommand).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import {
  aggregateStream,
  type Decider,
  type EventOf,
  type EventStore,
  getRedisEventStore,
  handleCommand,
  readAggregatePage,
  silentLogger,
} from "@streamstore/core";
import { READ_XREAD_ABOVE } from "@streamstore/core/internal";
import { startRedisServer } from "@streamstore/testing";
import { Redis } from "ioredis";
import { alternate } from "./support/alternate.js";
import { bareAppend } from "./support/bareAppend.js";
import { benchEvents, benchPayload } from "./support/benchEvents.js";
import { benchFlag } from "./support/benchFlag.js";
import { commandStats, redisVersion } from "./support/redisInfo.js";
import { percentile, seededRandom, shuffle } from "./support/seededRandom.js";

const ITERATIONS = benchFlag("iterations", 2000);
const PREFIX = "ss";
const SEED = 7;
// Aggregates per size: enough that consecutive requests rarely hit the same one.
const GROUPS = [
  { name: "r10", events: 10, aggregates: 200 },
  { name: "r100", events: 100, aggregates: 100 },
  { name: "r1000", events: 1000, aggregates: 20 },
  // handleCommand: each request takes a fresh 100-event aggregate (it appends one event).
  { name: "h", events: 100, aggregates: Math.ceil(ITERATIONS / 5) },
];
const APPENDERS = 32;

type BenchEvent = EventOf<typeof benchEvents>;
interface Balance {
  count: number;
  balance: number;
}
const account: Decider<Balance, { amount: number }, BenchEvent> = {
  initialState: () => ({ count: 0, balance: 0 }),
  evolve: (state, event) => {
    state.count += 1;
    state.balance += event.data.amount;
  },
  decide: (command) => [{ type: "Deposited", data: { ...benchPayload, amount: command.amount } }],
};
const SNAPSHOT_EVERY = 1000;
const snapshotted: Decider<Balance, { amount: number }, BenchEvent> = {
  ...account,
  snapshot: { every: SNAPSHOT_EVERY, schemaVersion: 1 },
};

interface Latency {
  p50: number;
  p99: number;
  mean: number;
}
interface AggregateRow {
  events: number;
  iterations: number;
  bare: Latency;
  replay: Latency;
  fromSnapshot?: Latency;
}
const summarise = (samples: number[]): Latency => ({
  p50: Number(percentile(samples, 50).toFixed(3)),
  p99: Number(percentile(samples, 99).toFixed(3)),
  mean: Number((samples.reduce((a, b) => a + b, 0) / samples.length).toFixed(3)),
});
/** Both sides' latencies and the store's p50 and p99 as multiples of the bare side's. */
const compared = (bareSamples: number[], storeSamples: number[]) => {
  const bare = summarise(bareSamples);
  const store = summarise(storeSamples);
  return {
    bare,
    store,
    ratioP50: Number((store.p50 / bare.p50).toFixed(2)),
    ratioP99: Number((store.p99 / bare.p99).toFixed(2)),
  };
};

/** Fills the aggregates with 1-event appends in a shuffled order, so each one's events are spread
 * over the log as in a live system. */
async function fill(url: string, random: () => number): Promise<void> {
  const clients = Array.from({ length: APPENDERS }, () => new Redis(url));
  const perAppender: string[][] = Array.from({ length: APPENDERS }, () => []);
  let owner = 0;
  for (const group of GROUPS) {
    for (let aggregate = 0; aggregate < group.aggregates; aggregate++) {
      const list = perAppender[owner++ % APPENDERS] as string[];
      for (let k = 0; k < group.events; k++) list.push(`account-${group.name}-${aggregate}`);
    }
  }
  await Promise.all(
    clients.map(async (redis, appender) => {
      const store = getRedisEventStore({
        redis,
        events: benchEvents,
        prefix: PREFIX,
        logger: silentLogger,
        serverCheck: "off",
      });
      const versions = new Map<string, number>();
      let amount = 0;
      for (const name of shuffle(perAppender[appender] ?? [], random)) {
        const version = versions.get(name) ?? 0;
        await store.append(
          name,
          [{ type: "Deposited", data: { ...benchPayload, amount: amount++ } }],
          { expectedVersion: version },
        );
        versions.set(name, version + 1);
      }
    }),
  );
  for (const client of clients) client.disconnect();
}

async function main() {
  const server = await startRedisServer();
  const redis = new Redis(server.url);
  const admin = new Redis(server.url);
  const random = seededRandom(SEED);
  try {
    const store: EventStore<typeof benchEvents> = getRedisEventStore({
      redis,
      events: benchEvents,
      prefix: PREFIX,
      logger: silentLogger,
      serverCheck: "off",
    });
    // One append first, alone: it records the prefix's layout and caches the append script.
    await store.append("warm-0", [{ type: "Deposited", data: benchPayload }]);
    const filled = performance.now();
    await fill(server.url, random);
    const logKey = store.keys.log("account", 0);
    const logIds = ((await redis.xrange(logKey, "-", "+")) as [string, string[]][]).map(
      ([id]) => id,
    );
    console.log(
      `filled ${logIds.length} events in ${Math.round(performance.now() - filled)} ms (${GROUPS.map((g) => `${g.aggregates} x ${g.events}`).join(", ")})`,
    );

    let checksum = 0;
    const bareRead = async (count: number) => {
      const start = logIds[Math.floor(random() * (logIds.length - count))] as string;
      const entries = (await redis.xrange(logKey, start, "+", "COUNT", count)) as [
        string,
        string[],
      ][];
      for (const [, fields] of entries) {
        for (let i = 0; i < fields.length; i += 2) {
          if (fields[i] === "d")
            checksum += (JSON.parse(fields[i + 1] as string) as { amount: number }).amount;
        }
      }
      if (entries.length !== count) throw new Error(`XRANGE gave ${entries.length} of ${count}`);
    };
    const storeRead = async (name: string, count: number) => {
      let read = 0;
      for await (const event of store.read(name)) {
        checksum += event.data.amount;
        read += 1;
      }
      if (read !== count) throw new Error(`${name}: read ${read} of ${count} events`);
    };
    // The raw page, entries not decoded: by default (XREAD above READ_XREAD_ABOVE versions), or
    // every entry looked up in the read script (xreadAbove: Infinity).
    const rawRead = async (name: string, count: number, xreadAbove?: number) => {
      const location = await store.locate(name);
      const page = await readAggregatePage(redis, location, {
        direction: "forward",
        start: 1,
        stop: 0,
        count: 1000,
        xreadAbove,
      });
      if (page.entries.length !== count) throw new Error(`${name}: ${page.entries.length}`);
    };
    const pick = (group: (typeof GROUPS)[number]) =>
      `account-${group.name}-${Math.floor(random() * group.aggregates)}`;

    // ---- store.read() against XRANGE + JSON.parse -------------------------------------------
    const reads: Record<string, unknown>[] = [];
    for (const group of GROUPS.slice(0, 3)) {
      const iterations = group.events >= 1000 ? Math.ceil(ITERATIONS / 5) : ITERATIONS;
      const [bare, read, raw, rawInScript] = await alternate(iterations, 50, [
        () => bareRead(group.events),
        () => storeRead(pick(group), group.events),
        () => rawRead(pick(group), group.events),
        () => rawRead(pick(group), group.events, Number.POSITIVE_INFINITY),
      ]);
      const row = {
        events: group.events,
        iterations,
        ...compared(bare ?? [], read ?? []),
        rawPage: summarise(raw ?? []),
        rawPageInScript: summarise(rawInScript ?? []),
      };
      reads.push(row);
      console.log(
        `read ${String(group.events).padStart(4)} events: bare p50 ${row.bare.p50} p99 ${row.bare.p99} ms; store.read p50 ${row.store.p50} p99 ${row.store.p99} ms; raw page p50 ${row.rawPage.p50} ms (lookups in the script ${row.rawPageInScript.p50}); ratio p50 ${row.ratioP50} p99 ${row.ratioP99}`,
      );
    }

    // ---- handleCommand on 100-event aggregates ----------------------------------------------
    const commandGroup = GROUPS[3] as (typeof GROUPS)[number];
    let nextCommand = 0;
    let nextBare = 0;
    const commandWarmup = 20;
    const commandIterations = commandGroup.aggregates - commandWarmup - 1;
    const [bareCommand, command] = await alternate(commandIterations, commandWarmup, [
      async () => {
        await bareRead(100);
        await bareAppend(redis, "bare", nextBare++, 0, 1);
      },
      async () => {
        const name = `account-${commandGroup.name}-${nextCommand++}`;
        const result = await handleCommand(store, name, account, { amount: 1 });
        if (result.nextExpectedVersion !== 101 || result.newState.count !== 101)
          throw new Error(`${name}: at ${result.nextExpectedVersion}`);
      },
    ]);
    const commandRow = {
      events: 100,
      iterations: commandIterations,
      ...compared(bareCommand ?? [], command ?? []),
    };
    console.log(
      `handleCommand on 100 events: bare p50 ${commandRow.bare.p50} p99 ${commandRow.bare.p99} ms; handleCommand p50 ${commandRow.store.p50} p99 ${commandRow.store.p99} ms; ratio p50 ${commandRow.ratioP50}`,
    );

    // ---- aggregateStream: replay against snapshot -------------------------------------------
    const big = GROUPS[2] as (typeof GROUPS)[number];
    for (let aggregate = 0; aggregate < big.aggregates; aggregate++) {
      const name = `account-${big.name}-${aggregate}`;
      const loaded = await aggregateStream(store, name, account);
      if (loaded.version !== SNAPSHOT_EVERY || loaded.lastEventId === undefined)
        throw new Error(`${name} is at ${loaded.version}`);
      await store.writeSnapshot(name, {
        version: loaded.version,
        eventId: loaded.lastEventId,
        schemaVersion: 1,
        state: loaded.state,
      });
    }
    const aggregates: AggregateRow[] = [];
    const replay = async (name: string, events: number, decider: typeof account) => {
      const loaded = await aggregateStream(store, name, decider);
      if (loaded.version !== events || loaded.state.count !== events)
        throw new Error(`${name}: ${loaded.version}`);
      return loaded;
    };
    for (const group of GROUPS.slice(0, 3)) {
      const iterations = group.events >= 1000 ? Math.ceil(ITERATIONS / 5) : ITERATIONS;
      const sides = [
        () => bareRead(group.events),
        () => replay(pick(group), group.events, account),
      ];
      if (group.events === SNAPSHOT_EVERY) {
        sides.push(async () => {
          const loaded = await replay(pick(group), group.events, snapshotted);
          if (!loaded.fromSnapshot) throw new Error("not loaded from the snapshot");
        });
      }
      const [bare, replayed, fromSnapshot] = await alternate(iterations, 50, sides);
      const row: AggregateRow = {
        events: group.events,
        iterations,
        bare: summarise(bare ?? []),
        replay: summarise(replayed ?? []),
        ...(fromSnapshot ? { fromSnapshot: summarise(fromSnapshot) } : {}),
      };
      aggregates.push(row);
      console.log(
        `aggregateStream ${String(group.events).padStart(4)} events: bare p50 ${row.bare.p50}; replay p50 ${row.replay.p50} p99 ${row.replay.p99} ms${row.fromSnapshot ? `; from a snapshot p50 ${row.fromSnapshot.p50} p99 ${row.fromSnapshot.p99} ms` : ""}`,
      );
    }
    // Replay cost as fixed + per event (a line through the 10- and 1,000-event medians); the
    // snapshot load (HGET + a read of the snapshot's own event) costs as much as replaying
    // breakEven events.
    const replayAt = (events: number) =>
      aggregates.find((row) => row.events === events)?.replay.p50 ?? Number.NaN;
    const perEvent = (replayAt(1000) - replayAt(10)) / 990;
    const fixedCost = Math.max(0, replayAt(10) - 10 * perEvent);
    const snapshotLoad =
      aggregates.find((row) => row.events === SNAPSHOT_EVERY)?.fromSnapshot?.p50 ?? Number.NaN;
    const snapshotModel = {
      replayFixedMs: Number(fixedCost.toFixed(3)),
      replayMicrosPerEvent: Number((perEvent * 1000).toFixed(2)),
      snapshotLoadMs: snapshotLoad,
      breakEvenEvents: Math.max(0, Math.round((snapshotLoad - fixedCost) / perEvent)),
      // Where a replay costs twice a snapshot load.
      twiceEvents: Math.max(0, Math.round((2 * snapshotLoad - fixedCost) / perEvent)),
      // A load under `every: N` folds N/2 events after the snapshot on average.
      every100Ms: Number((snapshotLoad + 50 * perEvent).toFixed(3)),
      every1000Ms: Number((snapshotLoad + 500 * perEvent).toFixed(3)),
      replay1000Ms: replayAt(1000),
    };
    console.log(`snapshots: ${JSON.stringify(snapshotModel)}`);

    // ---- where the time goes: Redis's own time per read --------------------------------------
    // The bare XRANGE; store.read (the read script, and XREAD for a page above READ_XREAD_ABOVE
    // versions); the raw page with every entry looked up in the read script instead.
    const serverSide: Record<string, unknown>[] = [];
    for (const group of GROUPS.slice(0, 3)) {
      const calls = 200;
      const names = Array.from({ length: calls }, () => pick(group));
      const usecPerRead = async (run: (name: string) => Promise<unknown>) => {
        await admin.config("RESETSTAT");
        for (const name of names) await run(name);
        const stats = await commandStats(admin);
        const per = (command: string) => Number(((stats[command]?.usec ?? 0) / calls).toFixed(1));
        return {
          xrange: per("xrange"),
          script: per("fcall_ro"),
          scriptCalls: (stats.fcall_ro?.calls ?? 0) / calls,
          xread: per("xread"),
        };
      };
      const bareStats = await usecPerRead(() => bareRead(group.events));
      const store = await usecPerRead((name) => storeRead(name, group.events));
      const inScript = await usecPerRead((name) =>
        rawRead(name, group.events, Number.POSITIVE_INFINITY),
      );
      const row = {
        events: group.events,
        bareXrangeMicros: bareStats.xrange,
        readScriptMicros: store.script,
        readScriptCallsPerRead: store.scriptCalls,
        xreadMicros: store.xread,
        totalMicros: Number((store.script + store.xread).toFixed(1)),
        lookupsInScriptMicros: inScript.script,
        lookupsInScriptInnerXrangeMicros: inScript.xrange,
      };
      serverSide.push(row);
      console.log(`server side, ${group.events} events: ${JSON.stringify(row)}`);
    }

    const meta = {
      date: new Date().toISOString(),
      node: process.version,
      cores: cpus().length,
      cpu: cpus()[0]?.model,
      redis: await redisVersion(admin),
      logEntries: logIds.length,
      loadAverageAtEnd: loadavg().map((value) => Number(value.toFixed(2))),
      checksum,
    };
    await mkdir(new URL("./results/", import.meta.url), { recursive: true });
    await writeFile(
      new URL("./results/read.json", import.meta.url),
      `${JSON.stringify({ meta, reads, handleCommand: commandRow, aggregates, snapshotModel, serverSide }, null, 2)}\n`,
    );
    await writeFile(
      new URL("./results/read.md", import.meta.url),
      renderMarkdown(meta, reads, commandRow, aggregates, snapshotModel, serverSide),
    );
  } finally {
    redis.disconnect();
    admin.disconnect();
    await server.stop();
  }
}

function renderMarkdown(
  meta: Record<string, unknown> & { loadAverageAtEnd: number[] },
  reads: Record<string, unknown>[],
  commandRow: Record<string, unknown>,
  aggregates: AggregateRow[],
  snapshotModel: Record<string, number>,
  serverSide: Record<string, unknown>[],
): string {
  const l = (value: unknown) => value as Latency;
  const readTable = [
    "| events | bare p50 ms | bare p99 ms | store.read p50 ms | store.read p99 ms | ratio p50 | ratio p99 | target ≤ 2× | raw page (readAggregatePage, no decoding) p50 ms | raw page, every entry looked up in the script, p50 ms |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |",
    ...reads.map(
      (row) =>
        `| ${row.events} | ${l(row.bare).p50} | ${l(row.bare).p99} | ${l(row.store).p50} | ${l(row.store).p99} | ${row.ratioP50} | ${row.ratioP99} | ${Number(row.events) >= 1000 ? "(none)" : Number(row.ratioP50) <= 2 ? "met (p50)" : "**missed** (p50)"} | ${l(row.rawPage).p50} | ${l(row.rawPageInScript).p50} |`,
    ),
  ];
  const aggregateTable = [
    "| events | bare XRANGE p50 ms | aggregateStream p50 ms | p99 ms | from a snapshot at 1,000: p50 ms | p99 ms |",
    "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ...aggregates.map(
      (row) =>
        `| ${row.events} | ${row.bare.p50} | ${row.replay.p50} | ${row.replay.p99} | ${row.fromSnapshot?.p50 ?? ""} | ${row.fromSnapshot?.p99 ?? ""} |`,
    ),
  ];
  const serverTable = [
    "| events | bare XRANGE µs / read | store.read: read script µs / read | read script calls / read | XREAD µs / read | store.read total µs / read | every entry looked up in the script µs / read | (its inner XRANGEs) |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...serverSide.map(
      (row) =>
        `| ${row.events} | ${row.bareXrangeMicros} | ${row.readScriptMicros} | ${row.readScriptCallsPerRead} | ${row.xreadMicros} | ${row.totalMicros} | ${row.lookupsInScriptMicros} | ${row.lookupsInScriptInnerXrangeMicros} |`,
    ),
  ];
  return `# bench:read

${meta.date}, Node ${meta.node}, ${meta.cores} cores (${meta.cpu}), Redis ${meta.redis} (private, no persistence). The machine is shared with other work (load average at the end: ${meta.loadAverageAtEnd.join(", ")}): absolute latencies move with it; the ratios compare sides measured request by request in the same run (one request at a time, the sides alternating, the first of each pair swapped every request).

Data: one category, one partition; ${GROUPS.map((g) => `${g.aggregates} aggregates of ${g.events} events`).join(", ")} (the last group for handleCommand; ${meta.logEntries} log entries with 192 B payloads), appended one event per call in a shuffled order (seed ${SEED}), so each aggregate's events are spread over the log. Bare = one \`XRANGE <log> <random entry> + COUNT n\` of as many entries of that same log, and JSON.parse of each payload: the raw operation a read builds on, doing the same span of work (store.read also validates each payload with the catalog's zod schema and builds the event objects).

## store.read() of a whole aggregate

${readTable.join("\n")}

Targets of issue 12: ≤ 2× the bare read at 10 and 100 events.

## handleCommand on a 100-event aggregate

A trivial decider (count and sum, evolve through immer); each request takes a fresh 100-event aggregate and appends one event with the loaded version. Bare = XRANGE of 100 entries + JSON.parse, then one append with bench:append's bare script (layout 2) on a new aggregate.

| | p50 ms | p99 ms |
| --- | ---: | ---: |
| bare (XRANGE 100 + JSON.parse + bare append script) | ${l(commandRow.bare).p50} | ${l(commandRow.bare).p99} |
| handleCommand | ${l(commandRow.store).p50} | ${l(commandRow.store).p99} |
| ratio | ${commandRow.ratioP50} | ${commandRow.ratioP99} |

## aggregateStream, and when snapshots should take over

The same decider. "From a snapshot": a snapshot written at version 1,000 (policy \`every: 1000\`), so the load is HGET of the snapshot and a read of the snapshot's own event (to check it is still there).

${aggregateTable.join("\n")}

Replaying costs about ${snapshotModel.replayFixedMs} ms + ${snapshotModel.replayMicrosPerEvent} µs per event here (the line through the 10- and 1,000-event medians: one read-script round trip per 1,000 events, then decoding, the zod check and one immer \`produce\` per event). Loading from the snapshot costs ${snapshotModel.snapshotLoadMs} ms (HGET, then a one-event read: two round trips), as much as replaying about **${snapshotModel.breakEvenEvents} events**; a replay costs twice that at about **${snapshotModel.twiceEvents} events**. Under a policy \`every: N\` a load folds N/2 events after the snapshot on average: every: 100 → about ${snapshotModel.every100Ms} ms, every: 1,000 → about ${snapshotModel.every1000Ms} ms, against ${snapshotModel.replay1000Ms} ms to replay 1,000 events. So snapshots should take over for aggregates that grow past a few dozen to a hundred events, with \`every\` in the low hundreds; below that a replay is as fast and needs no snapshot writes. This state is trivial: a large one (its JSON parse and schema check on load, its JSON on write) moves the break-even up.

## Where the time goes (Redis side)

INFO commandstats after CONFIG RESETSTAT, 200 reads per row: µs Redis spent per read. store.read runs the read script (FCALL_RO); a page of more than ${READ_XREAD_ABOVE} versions gets only their positions from it, then their entries from one XREAD (the log named once per position, COUNT 1). "Every entry looked up in the script" is the same read with \`xreadAbove: Infinity\`: one XRANGE per version from Lua, one round trip (whole script calls include their inner commands; "its inner XRANGEs" is what those lookups add up to).

${serverTable.join("\n")}

${whereTheTimeGoes(reads, serverSide)}
`;
}

/** A summary of the server-side table at 100 events, and the extra round trip at 1,000. */
function whereTheTimeGoes(
  reads: Record<string, unknown>[],
  serverSide: Record<string, unknown>[],
): string {
  const at = (events: number) => serverSide.find((row) => row.events === events) ?? {};
  const read = (events: number) => reads.find((row) => row.events === events) ?? {};
  const n = (value: unknown) => Number(value);
  const server = at(100);
  const client = read(100) as { store?: Latency; rawPage?: Latency; bare?: Latency };
  const client100 = client as { rawPageInScript?: Latency };
  const lines = [
    `At 100 events Redis spends ${server.totalMicros} µs per store.read (${server.readScriptMicros} µs in the read script, ${server.xreadMicros} µs in the XREAD) against ${server.bareXrangeMicros} µs for the bare XRANGE of 100 entries (${(n(server.totalMicros) / n(server.bareXrangeMicros)).toFixed(1)}×): each entry is a seek in the log's radix tree and a walk of its listpack node, where the bare read walks one run of entries. Looking every entry up in the script instead costs Redis ${server.lookupsInScriptMicros} µs (${(n(server.lookupsInScriptMicros) / 100).toFixed(1)} µs per entry: the same seek, plus a Lua call and the entry converted to a Lua table and back), and the raw page then takes ${client100.rawPageInScript?.p50} ms against ${client.rawPage?.p50} ms through XREAD, despite XREAD's second round trip. Decoding on the client (the zod check and the event objects: store.read − the raw page) adds ${((n(client.store?.p50) - n(client.rawPage?.p50)) * 1000).toFixed(0)} µs.`,
  ];
  if (n(at(1000).readScriptCallsPerRead) > 1) {
    lines.push(
      `A store.read of a 1,000-event aggregate makes ${at(1000).readScriptCallsPerRead} read-script calls: the page size is 1,000 and the read loop stops only on a short page, so when the last page is full it asks once more and gets an empty one (a round trip and a script call for nothing; the page's reply carries the aggregate's version, which would tell the loop it is done).`,
    );
  }
  return lines.join("\n\n");
}

await main();
