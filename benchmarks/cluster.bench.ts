/**
 * pnpm bench:cluster — append throughput of @streamstore/core on one redis-server against a
 * 3-primary Redis Cluster (no replicas, so both sides do the same work per event), in the same
 * run, with the same concurrency: 64 appenders over 10,000 streams of one category with 8
 * partitions, 1 event per append, exact expected versions. The baseline on each target is the raw
 * ioredis XADD rate (one XADD per call to the category's partition logs, the streams the store
 * appends each event to, so keys spread by the same hash tags), so "store / raw" says
 * what streamstore costs on that target, and "cluster / 1 node" what the cluster gives.
 * CPU seconds of every redis-server and of this process are sampled per measurement, because on a
 * small machine the answer is usually "the client ran out of CPU", not "Redis did".
 * Writes benchmarks/results/cluster.{json,md}.
 *
 * Flags: --seconds N (per measurement, default 3), --appenders N (default 64), --rounds N (2).
 */
import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { type EventStore, getRedisEventStore, silentLogger } from "@streamstore/core";
import { startRedisCluster, startRedisServer } from "@streamstore/testing";
import { Cluster, Redis } from "ioredis";
import { benchEvents, benchPayload } from "./support/benchEvents.js";
import { benchFlag } from "./support/benchFlag.js";
import { type AppendStep, runAppenders } from "./support/runAppenders.js";
import { median } from "./support/seededRandom.js";

const SECONDS = benchFlag("seconds", 3);
const APPENDERS = benchFlag("appenders", 64);
const ROUNDS = benchFlag("rounds", 3);
const STREAMS = 10_000;
const PARTITIONS = 8;

const payloadText = JSON.stringify(benchPayload);

/** CPU seconds (user + system) a process has used, from /proc (Linux). */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

interface Target {
  name: string;
  clients: (Redis | Cluster)[];
  pids: number[];
}

interface Sample {
  eventsPerSecond: number;
  /** Busy fraction of one core, per redis-server and for this (client) process. */
  redisCpu: number[];
  clientCpu: number;
}

async function measure(target: Target, step: AppendStep): Promise<Sample> {
  const redisBefore = target.pids.map(cpuSeconds);
  const clientBefore = process.cpuUsage();
  const { events, seconds } = await runAppenders(
    { appenders: APPENDERS, streams: STREAMS, seconds: SECONDS },
    step,
  );
  const client = process.cpuUsage(clientBefore);
  return {
    eventsPerSecond: events / seconds,
    redisCpu: target.pids.map(
      (pid, index) => (cpuSeconds(pid) - (redisBefore[index] ?? 0)) / seconds,
    ),
    clientCpu: (client.user + client.system) / 1e6 / seconds,
  };
}

async function main() {
  const server = await startRedisServer();
  const cluster = await startRedisCluster({ primaries: 3, replicasPerPrimary: 0 });
  const targets: Target[] = [
    {
      name: "1 node",
      clients: Array.from({ length: APPENDERS }, () => new Redis(server.url)),
      pids: [server.process.pid ?? 0],
    },
    {
      name: "cluster, 3 primaries",
      clients: Array.from({ length: APPENDERS }, () => new Cluster(cluster.startupNodes)),
      pids: cluster.nodes.map((node) => node.process.pid ?? 0),
    },
  ];
  const samples = new Map<string, Sample[]>();
  const record = (key: string, sample: Sample) => {
    samples.set(key, [...(samples.get(key) ?? []), sample]);
    console.log(
      `${key.padEnd(34)} ${String(Math.round(sample.eventsPerSecond)).padStart(7)} ev/s   redis CPU ${sample.redisCpu.map((cpu) => `${Math.round(cpu * 100)}%`).join(" ")}   client CPU ${Math.round(sample.clientCpu * 100)}%`,
    );
  };
  try {
    // Warm up: connect every client and load the scripts on every node, so no measurement pays it.
    for (const target of targets) {
      const warm = target.clients.map((redis) =>
        getRedisEventStore({
          redis,
          events: benchEvents,
          prefix: "warm",
          partitions: PARTITIONS,
          logger: silentLogger,
          serverCheck: "off",
        }),
      );
      await Promise.all(
        warm.map(async (store, index) => {
          for (let k = 0; k < 16; k++)
            await store.append(`account-${index}-${k}`, [
              { type: "Deposited", data: benchPayload },
            ]);
        }),
      );
    }
    let run = 0;
    // A B A B: the machine is shared and noisy; every kind of measurement sees the same conditions.
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      for (const target of order) {
        const rawPrefix = `raw${run}`;
        record(
          `${target.name} / raw XADD`,
          await measure(target, async (appender, stream) => {
            await target.clients[appender]?.xadd(
              `${rawPrefix}:{account:${stream % PARTITIONS}}:log`,
              "*",
              "i",
              crypto.randomUUID(),
              "t",
              "Deposited",
              "d",
              payloadText,
            );
          }),
        );
        const stores: EventStore<typeof benchEvents>[] = target.clients.map((redis) =>
          getRedisEventStore({
            redis,
            events: benchEvents,
            prefix: `store${run}`,
            partitions: PARTITIONS,
            logger: silentLogger,
            serverCheck: "off",
          }),
        );
        record(
          `${target.name} / streamstore append`,
          await measure(target, async (appender, stream, version) => {
            await stores[appender]?.append(
              `account-${stream}`,
              [{ type: "Deposited", data: benchPayload }],
              { expectedVersion: version },
            );
          }),
        );
        run += 1;
      }
    }
    const summary = targets.map((target) => {
      const raw = samples.get(`${target.name} / raw XADD`) ?? [];
      const store = samples.get(`${target.name} / streamstore append`) ?? [];
      return {
        target: target.name,
        rawXaddPerSecond: Math.round(median(raw.map((s) => s.eventsPerSecond))),
        storeEventsPerSecond: Math.round(median(store.map((s) => s.eventsPerSecond))),
        storeOverRaw: Number(
          (
            median(store.map((s) => s.eventsPerSecond)) / median(raw.map((s) => s.eventsPerSecond))
          ).toFixed(3),
        ),
        storeRedisCpuPerNode: target.pids.map((_, index) =>
          Number(median(store.map((s) => s.redisCpu[index] ?? 0)).toFixed(2)),
        ),
        storeClientCpu: Number(median(store.map((s) => s.clientCpu)).toFixed(2)),
        rawRedisCpuPerNode: target.pids.map((_, index) =>
          Number(median(raw.map((s) => s.redisCpu[index] ?? 0)).toFixed(2)),
        ),
        rawClientCpu: Number(median(raw.map((s) => s.clientCpu)).toFixed(2)),
      };
    });
    const [single, clustered] = summary as [(typeof summary)[0], (typeof summary)[0]];
    const speedup = {
      rawXadd: Number((clustered.rawXaddPerSecond / single.rawXaddPerSecond).toFixed(3)),
      store: Number((clustered.storeEventsPerSecond / single.storeEventsPerSecond).toFixed(3)),
    };
    console.log(`cluster / 1 node: raw XADD ${speedup.rawXadd}, streamstore ${speedup.store}`);
    const meta = {
      date: new Date().toISOString(),
      node: process.version,
      cores: cpus().length,
      loadAverageAtEnd: loadavg().map((load) => Number(load.toFixed(2))),
      cpu: cpus()[0]?.model,
      redis: /redis_version:(\S+)/.exec(
        (await (targets[0] as Target).clients[0]?.info("server")) ?? "",
      )?.[1],
      appenders: APPENDERS,
      streams: STREAMS,
      partitions: PARTITIONS,
      eventsPerAppend: 1,
      secondsPerMeasurement: SECONDS,
      rounds: ROUNDS,
    };
    await mkdir(new URL("./results/", import.meta.url), { recursive: true });
    await writeFile(
      new URL("./results/cluster.json", import.meta.url),
      `${JSON.stringify({ meta, summary, speedup, samples: Object.fromEntries(samples) }, null, 2)}\n`,
    );
    const pct = (values: number[]) =>
      values.map((value) => `${Math.round(value * 100)}%`).join(" / ");
    const table = [
      "| target | raw XADD/s | streamstore ev/s | store / raw | redis CPU per node (store) | client CPU (store) |",
      "| --- | ---: | ---: | ---: | --- | ---: |",
      ...summary.map(
        (row) =>
          `| ${row.target} | ${row.rawXaddPerSecond} | ${row.storeEventsPerSecond} | ${row.storeOverRaw} | ${pct(row.storeRedisCpuPerNode)} | ${pct([row.storeClientCpu])} |`,
      ),
      `| cluster / 1 node | ${speedup.rawXadd} | ${speedup.store} | | | |`,
    ];
    await writeFile(
      new URL("./results/cluster.md", import.meta.url),
      `# bench:cluster

${meta.date}, Node ${meta.node}, ${meta.cores} cores (${meta.cpu}), Redis ${meta.redis} (private, no persistence).
${APPENDERS} concurrent appenders, each on its own client (a \`Redis\`, or a \`Cluster\` with one connection per primary), over ${STREAMS} streams of one category with ${PARTITIONS} partitions, 1 event (${Buffer.byteLength(payloadText)} B of JSON) per append, exact expected versions, ${SECONDS} s per measurement, ${ROUNDS} alternating rounds (medians shown; every sample is in cluster.json). Load average at the end: ${meta.loadAverageAtEnd.join(", ")} (the machine is shared with other work). The cluster has 3 primaries and no replicas, so each side does the same work per event.

Raw XADD = one ioredis \`XADD\` per call to the partition logs (keys with the same hash tags as the store's): what the client and the server can do at all on that target. CPU = busy fraction of one core during the streamstore measurement (from /proc), per redis-server and for the benchmark process that runs all ${APPENDERS} appenders.

${table.join("\n")}

## What a ${meta.cores}-core machine can and cannot show

- It **can** show that the cluster path is correct under load and what it costs per call: the
  store / raw ratio on each target, and whether the ioredis \`Cluster\` client (slot lookup, one
  socket per primary) is slower than a plain \`Redis\` client at the same concurrency.
- It **cannot** show scale-out. A cluster only adds throughput when one server is the
  bottleneck; here the single redis-server was busy ${pct(single.storeRedisCpuPerNode)} of one core
  during the streamstore run, i.e. not saturated, while the one Node process running all
  ${APPENDERS} appenders (encoding, FNV hashing, slot lookup, reply parsing) used
  ${pct([single.storeClientCpu])} (1 node) and ${pct([clustered.storeClientCpu])} (cluster) of a
  core, and every process competes for ${meta.cores} cores with other work (load average above).
  So the client side is the ceiling, and "cluster / 1 node" at or below 1 is the expected result on this
  machine, not a property of the key layout; single runs vary by 2x with the machine's load.
- What predicts scaling on real hardware is that the load is spread: every partition's keys are on
  one slot, the 8 partitions of this category land on all 3 primaries (see
  \`packages/testing/test/cluster/eventStore.partitions.cluster.int.spec.ts\`), and the per-node
  Redis CPU above is split accordingly. To measure scale-out, run the primaries on separate
  machines and the appenders in several processes (one Node process saturates first).
`,
    );
  } finally {
    for (const target of targets) for (const client of target.clients) client.disconnect();
    await cluster.stop();
    await server.stop();
  }
}

await main();
