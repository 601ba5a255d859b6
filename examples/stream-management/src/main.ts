import {
  getRedisEventStore,
  INDEX_RECORD_BYTES,
  readAggregatePage,
  silentLogger,
} from "@streamstore/core";
import {
  getProjectionStatus,
  type ProjectionStatus,
  startProjection,
} from "@streamstore/projections";
import type { Redis } from "ioredis";
import { isDirectRun, openBackend } from "../../shared/backend.js";
import { orderEvents, orderTotals } from "./orders.js";
import { inspectStream } from "./streamInfo.js";

/** Options of {@link main}. */
export interface MainOptions {
  /** A real Redis to run on; the in-memory fake when absent. */
  redisUrl?: string | undefined;
  /** Where the story goes, one line at a time. Default: stdout. */
  print?: (line: string) => void;
  /** A shorter run (fewer orders), for the tour's `--quick`. */
  quick?: boolean;
}

/** The figures of one run, for the tour and the tests. */
export interface StreamManagementSummary {
  eventsAppended: number;
  notificationsPending: number;
  lagWhileStopped: number;
  lagAfterRestart: number;
  notificationsTrimmed: number;
  notificationsKept: number;
  aggregateVersionAfterTrim: number;
  logLengthAfterTrim: number;
}

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? "" : "s"}`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The retention rule of this shop: derived streams (notifications) are trimmed to a length, the
 * event store's keys never are. The category log holds every event once (the source of truth, and
 * what a projection rebuild replays from the start); an aggregate's index only points into it, so
 * trimming the log would make the aggregate unreadable.
 */
async function trimDerivedStream(
  redis: Redis,
  storePrefix: string,
  key: string,
  keepAbout: number,
): Promise<number> {
  if (key.startsWith(`${storePrefix}:{`)) {
    throw new Error(`refused to trim ${key}: it is event store history, never trimmed`);
  }
  // "~" lets Redis drop whole radix-tree nodes only: cheap, and it keeps at least `keepAbout`.
  return redis.xtrim(key, "MAXLEN", "~", keepAbout);
}

function describeStatus(status: ProjectionStatus): string {
  const partition = status.partitions[0];
  return `state ${partition?.state}, checkpoint ${partition?.applied} entries applied, lag ${partition?.lag}, pending ${partition?.pending}, consumers ${partition?.consumers}, dead letters ${status.deadLetters}, healthy ${status.healthy}`;
}

/**
 * Builds some history (orders, a projection, a notification stream with mailers), then shows what
 * an operator looks at: an aggregate's index and the log entries it points at, XINFO
 * STREAM/GROUPS/CONSUMERS, XPENDING, the projection status with its lag while stopped and after a
 * restart, and retention that trims only the derived stream.
 *
 * @example
 * await main({ redisUrl: process.env.REDIS_URL });
 */
export async function main(options: MainOptions = {}): Promise<StreamManagementSummary> {
  const print = options.print ?? ((line: string) => console.log(line));
  const orders = options.quick ? 60 : 120;
  const laterOrders = 20;
  const backend = await openBackend("ops", options.redisUrl);
  const { redis, prefix } = backend;
  print(`Running on ${backend.name} (key prefix "${prefix}").`);
  const store = getRedisEventStore({
    redis,
    events: orderEvents,
    prefix,
    serverCheck: backend.serverCheck,
  });
  const notifications = `${prefix}:notifications`;
  await redis.xgroup("CREATE", notifications, "mailer", "$", "MKSTREAM");
  let runner = startProjection(orderTotals, { redis, store, logger: silentLogger });
  let eventsAppended = 0;
  const placeOrders = async (from: number, count: number) => {
    for (let number = from; number < from + count; number++) {
      const streamName = `order-${number}`;
      const total = 10 + (number % 7) * 5;
      await store.append(streamName, [{ type: "OrderPlaced", data: { total } }], {
        expectedVersion: "no_stream",
      });
      await store.append(streamName, [{ type: "OrderPaid", data: { total } }], {
        expectedVersion: 1,
      });
      await store.append(streamName, [{ type: "OrderShipped", data: { carrier: "post" } }], {
        expectedVersion: 2,
      });
      eventsAppended += 3;
      // A derived stream for the mailers: a copy of what happened, safe to trim once sent.
      for (const type of ["placed", "paid", "shipped"]) {
        await redis.xadd(notifications, "*", "order", streamName, "type", type);
      }
    }
  };

  try {
    await placeOrders(1, orders);
    await runner.waitUntilCaughtUp(undefined, { timeoutMs: 10_000 });
    const mailer = redis.duplicate();
    await mailer.xreadgroup(
      "GROUP",
      "mailer",
      "mailer-1",
      "COUNT",
      10,
      "STREAMS",
      notifications,
      ">",
    );
    const firstBatch = (await redis.xrange(notifications, "-", "+", "COUNT", 8)).map(([id]) => id);
    await redis.xack(notifications, "mailer", ...firstBatch);
    await mailer.xreadgroup(
      "GROUP",
      "mailer",
      "mailer-2",
      "COUNT",
      5,
      "STREAMS",
      notifications,
      ">",
    );
    await mailer.quit();
    await sleep(30);
    print(
      `${orders} orders placed, paid and shipped: ${eventsAppended} events, ${eventsAppended} notifications; mailer-1 took 10 and acked 8, mailer-2 took 5 and acked none.`,
    );

    print("");
    print("1. Where the events are: an aggregate's index, and streams (STRLEN, XINFO STREAM)");
    // Each event is stored once, in its category partition log; an aggregate is a string index
    // of 12 bytes per version, each the log position of that version's event.
    const order7 = await store.locate("order-7");
    const indexBytes = await redis.strlen(order7.indexKey);
    print(
      `   aggregate order-7: index ${order7.indexKey}, ${indexBytes} bytes = ${indexBytes / INDEX_RECORD_BYTES} versions of ${INDEX_RECORD_BYTES} bytes, each a position in ${order7.logKey}`,
    );
    const page = await readAggregatePage(redis, order7, {
      direction: "forward",
      start: 1,
      stop: 0,
      count: 10,
    });
    for (const { version, entry } of page.entries) {
      const [position, fields] = entry;
      const field = (name: string) => fields?.[fields.indexOf(name) + 1];
      print(
        `     version ${version} -> log entry ${position}: ${field("t")} of order-${field("a")} version ${field("v")}`,
      );
    }
    for (const [label, key] of [
      ["category log of order", order7.logKey],
      ["notifications", notifications],
    ] as const) {
      const { stream } = await inspectStream(redis, key);
      const lastEntry = stream["last-entry"] as [string, unknown] | null;
      print(
        `   ${label}: length ${stream.length}, entries added ${stream["entries-added"]}, last id ${lastEntry?.[0]}, groups ${stream.groups}`,
      );
    }

    print("");
    print("2. Consumer groups and consumers (XINFO GROUPS / CONSUMERS, XPENDING)");
    let notificationsPending = 0;
    for (const [label, key] of [
      ["category log", order7.logKey],
      ["notifications", notifications],
    ] as const) {
      const { groups } = await inspectStream(redis, key);
      for (const group of groups) {
        if (key === notifications) notificationsPending = Number(group.pending);
        print(
          `   ${label} group "${group.name}": ${plural(Number(group.consumers), "consumer")}, ${group.pending} pending, lag ${group.lag}, entries read ${group["entries-read"]}`,
        );
        for (const consumer of group.consumerList) {
          const name = String(consumer.name);
          print(
            `     consumer ${name.startsWith("mailer") ? name : "(projection worker)"}: ${consumer.pending} pending, idle ${consumer.idle} ms`,
          );
        }
      }
    }
    const [pendingCount, , , perConsumer] = (await redis.xpending(notifications, "mailer")) as [
      number,
      string,
      string,
      [string, string][],
    ];
    print(
      `   XPENDING notifications mailer: ${pendingCount} pending (${perConsumer.map(([name, count]) => `${name} ${count}`).join(", ")})`,
    );
    const details = (await redis.xpending(notifications, "mailer", "-", "+", 3)) as [
      string,
      string,
      number,
      number,
    ][];
    for (const [id, consumer, idle, deliveries] of details) {
      print(
        `     ${id} held by ${consumer} for ${idle} ms, delivered ${plural(deliveries, "time")}`,
      );
    }

    print("");
    print("3. Projection status (status API): running, stopped with lag, restarted");
    // Caught up is not yet live: the runner hands its partition from replay to tail just after.
    const statusOnceLive = async () => {
      let status = await runner.status();
      for (let attempt = 0; attempt < 250 && status.partitions[0]?.state !== "live"; attempt++) {
        await sleep(20);
        status = await runner.status();
      }
      return status;
    };
    const running = await statusOnceLive();
    print(`   running:   ${describeStatus(running)}`);
    await runner.stop();
    await placeOrders(orders + 1, laterOrders);
    const stopped = await getProjectionStatus(orderTotals, { redis, prefix });
    const lagWhileStopped = stopped.partitions[0]?.lag ?? 0;
    print(`   stopped, ${laterOrders} more orders: ${describeStatus(stopped)}`);
    runner = startProjection(orderTotals, { redis, store, logger: silentLogger });
    await runner.waitUntilCaughtUp(undefined, { timeoutMs: 10_000 });
    const restarted = await statusOnceLive();
    print(`   restarted: ${describeStatus(restarted)}`);
    const totals = await runner.get("shop");
    print(
      `   read model: ${totals?.placed} placed, ${totals?.paid} paid, ${totals?.shipped} shipped, revenue ${totals?.revenue}`,
    );

    print("");
    print("4. Retention: trim the derived stream, never the history (XTRIM MAXLEN ~ 100)");
    const trimmed = await trimDerivedStream(redis, prefix, notifications, 100);
    const kept = await redis.xlen(notifications);
    const afterTrim = await inspectStream(redis, notifications);
    print(
      `   notifications: ${trimmed} trimmed, ${kept} kept (whole nodes only, so at least 100), entries added still ${afterTrim.stream["entries-added"]}`,
    );
    for (const key of [order7.indexKey, order7.logKey]) {
      try {
        await trimDerivedStream(redis, prefix, key, 100);
      } catch (error) {
        print(`   ${(error as Error).message}`);
      }
    }
    const aggregateVersionAfterTrim = await store.version("order-7");
    let readBack = 0;
    for await (const _event of store.read("order-7")) readBack++;
    const logLengthAfterTrim = await redis.xlen(order7.logKey);
    print(
      `   order-7 is still at version ${aggregateVersionAfterTrim} with ${readBack} events; the order log keeps all ${logLengthAfterTrim} entries for rebuilds`,
    );
    print("");
    print(
      `Done: ${eventsAppended} events, lag ${lagWhileStopped} while the projection was stopped and ${restarted.partitions[0]?.lag} after the restart, ${trimmed} notifications trimmed, no history trimmed.`,
    );
    return {
      eventsAppended,
      notificationsPending,
      lagWhileStopped,
      lagAfterRestart: restarted.partitions[0]?.lag ?? -1,
      notificationsTrimmed: trimmed,
      notificationsKept: kept,
      aggregateVersionAfterTrim,
      logLengthAfterTrim,
    };
  } finally {
    await runner.stop();
    await backend.close();
  }
}

if (isDirectRun(import.meta.url)) {
  main({ redisUrl: process.env.REDIS_URL, quick: process.argv.includes("--quick") }).catch(
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
