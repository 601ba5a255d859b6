import type { Redis } from "ioredis";
import { expect } from "vitest";

// The examples of the Redis Streams guide (docs/../seed/redis-streams-guide.md), ported from Ruby
// to TypeScript with ioredis. Each takes the client, the key names and a `print` so that the
// README can show them as they are and these tests can check what they print, on the fake (with
// a manual clock, so ids are exact: redisStreamsGuide.unit.spec.ts) and on real Redis (ids and
// times normalised: redisStreamsGuide.int.spec.ts).

/** Where an example writes its output (the guide's `puts`). */
type Print = (line: string) => void;

/** ioredis returns stream fields flat: `["type", "purchase", "amount", "29.99"]`. */
function fieldsOf(flat: string[] | null): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let index = 0; flat !== null && index < flat.length; index += 2) {
    fields[flat[index] as string] = flat[index + 1] as string;
  }
  return fields;
}

// --- Stream creation and consumption ---------------------------------------------------------

async function streamCreationAndConsumption(redis: Redis, stream: string, print: Print) {
  const events = [
    { type: "user_signup", user_id: "123", email: "alice@example.com" },
    { type: "purchase", user_id: "123", amount: "29.99" },
    { type: "user_signup", user_id: "456", email: "bob@example.com" },
  ];
  for (const event of events) {
    const entryId = await redis.xadd(stream, "*", ...Object.entries(event).flat());
    print(`Added event with ID: ${entryId}`);
  }
  const entries = await redis.xrange(stream, "-", "+");
  print("Stream entries:");
  for (const [entryId, fields] of entries) {
    print(`  ${entryId}: ${JSON.stringify(fieldsOf(fields))}`);
  }
  const latest = await redis.xrevrange(stream, "+", "-", "COUNT", 2);
  print(`Latest 2 entries: ${latest.map(([entryId]) => entryId).join(", ")}`);
}

// --- Reading new messages (blocking XREAD) ------------------------------------------------------

async function readingNewMessages(
  redis: Redis,
  stream: string,
  print: Print,
  blockMs: number,
  meanwhile: () => Promise<unknown>,
) {
  await redis.xadd(stream, "*", "type", "welcome", "user_id", "123");
  await redis.xadd(stream, "*", "type", "reminder", "user_id", "456");
  // A blocking read holds its connection: it gets its own, as with any Redis client.
  const reader = redis.duplicate();
  // The guide reads from "$"; reading after the last id seen is the race-free form of it (an
  // entry added between the two calls would be missed with "$", here it is returned at once).
  const [last] = await redis.xrevrange(stream, "+", "-", "COUNT", 1);
  print("Waiting for new messages...");
  const pending = reader.xread("BLOCK", blockMs, "STREAMS", stream, last?.[0] ?? "0-0");
  await meanwhile(); // another client may add entries while we wait
  const messages = await pending;
  await reader.quit();
  if (messages !== null && messages.length > 0) {
    const [, entries] = messages[0] as [string, [string, string[]][]];
    print(`Received ${entries.length} new messages:`);
    for (const [entryId, fields] of entries) {
      print(`  ${entryId}: ${JSON.stringify(fieldsOf(fields))}`);
    }
  } else {
    print("No new messages received within timeout");
  }
}

// --- Consumer groups ---------------------------------------------------------------------------

async function createGroup(redis: Redis, stream: string, group: string, print?: Print) {
  try {
    await redis.xgroup("CREATE", stream, group, "0", "MKSTREAM");
    print?.(`Created consumer group '${group}'`);
  } catch (error) {
    // BUSYGROUP: created by an earlier run, which is fine.
    print?.(`Consumer group already exists: ${(error as Error).message}`);
  }
}

async function consumerGroups(redis: Redis, stream: string, print: Print) {
  await createGroup(redis, stream, "processors", print);
  for (let index = 0; index < 3; index++) {
    await redis.xadd(stream, "*", "event", `test_${index}`, "timestamp", "1700000000.5");
  }
  const consumer = "worker_1";
  const messages = await redis.xreadgroup(
    "GROUP",
    "processors",
    consumer,
    "COUNT",
    2,
    "STREAMS",
    stream,
    ">",
  );
  if (messages === null || messages.length === 0) {
    print(`No new messages for consumer ${consumer}`);
    return;
  }
  const [, entries] = messages[0] as [string, [string, string[] | null][]];
  print(`Consumer ${consumer} received ${entries.length} messages:`);
  for (const [entryId, fields] of entries) {
    print(`  Processing ${entryId}: ${JSON.stringify(fieldsOf(fields))}`);
    await redis.xack(stream, "processors", entryId);
    print(`  Acknowledged ${entryId}`);
  }
}

// --- Multiple consumers ------------------------------------------------------------------------

async function multipleConsumers(redis: Redis, stream: string, print: Print) {
  await createGroup(redis, stream, "workers");
  const processed = new Map<string, string>();
  let producing = true;
  const connected: Promise<unknown>[] = [];
  const consume = async (consumer: string) => {
    const connection = redis.duplicate();
    try {
      const ping = connection.ping();
      connected.push(ping);
      await ping;
      for (;;) {
        const messages = await connection.xreadgroup(
          "GROUP",
          "workers",
          consumer,
          "COUNT",
          1,
          "BLOCK",
          50,
          "STREAMS",
          stream,
          ">",
        );
        if (messages === null) {
          if (!producing) return;
          continue;
        }
        for (const [entryId, fields] of (messages[0] as [string, [string, string[] | null][]])[1]) {
          processed.set(fieldsOf(fields).task_id as string, consumer);
          await connection.xack(stream, "workers", entryId);
        }
      }
    } finally {
      await connection.quit();
    }
  };
  const consumers = ["worker_0", "worker_1", "worker_2"].map(consume);
  // Every consumer is connected before the first item, so each can take a share
  await Promise.all(connected);
  for (let index = 0; index < 10; index++) {
    await redis.xadd(stream, "*", "task_id", index, "data", `work_item_${index}`, "priority", 3);
    print(`Added work item ${index}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  producing = false;
  await Promise.all(consumers);
  const tasks = [...processed.keys()].sort((a, b) => Number(a) - Number(b));
  print(`Processed ${processed.size} work items: ${tasks.join(", ")}`);
  return processed;
}

// --- Acknowledgment and recovery ---------------------------------------------------------------

async function acknowledgmentAndRecovery(
  redis: Redis,
  stream: string,
  print: Print,
  minIdleMs: number,
) {
  const pendingInfo = (await redis.xpending(stream, "processors")) as [number, ...unknown[]];
  if (pendingInfo[0] === 0) {
    print("No pending messages found");
    return;
  }
  print(`Found ${pendingInfo[0]} pending messages`);
  const details = (await redis.xpending(stream, "processors", "-", "+", 10)) as [
    string,
    string,
    number,
    number,
  ][];
  for (const [entryId, consumer, idleTime, deliveryCount] of details) {
    print(
      `Message ${entryId} pending for ${idleTime}ms (delivered ${deliveryCount} times to ${consumer})`,
    );
    if (idleTime < minIdleMs) continue;
    const claimed = (await redis.xclaim(
      stream,
      "processors",
      "recovery_worker",
      minIdleMs,
      entryId,
    )) as [string, string[]][];
    if (claimed.length === 0) continue;
    print(`Claimed message ${entryId} for reprocessing`);
    for (const [, fields] of claimed) print(`Reprocessing: ${JSON.stringify(fieldsOf(fields))}`);
    await redis.xack(stream, "processors", entryId);
    print(`Acknowledged recovered message ${entryId}`);
  }
}

// --- Stream information and management ---------------------------------------------------------

/** XINFO replies are flat `[name, value, ...]` lists. */
function infoOf(flat: unknown[]): Record<string, unknown> {
  const info: Record<string, unknown> = {};
  for (let index = 0; index < flat.length; index += 2) info[String(flat[index])] = flat[index + 1];
  return info;
}

async function streamInformation(redis: Redis, stream: string, print: Print) {
  const streamInfo = infoOf((await redis.xinfo("STREAM", stream)) as unknown[]);
  print(
    `Stream info: length=${streamInfo.length}, groups=${streamInfo.groups}, last-generated-id=${streamInfo["last-generated-id"]}`,
  );
  const groups = (await redis.xinfo("GROUPS", stream)) as unknown[][];
  print("Consumer groups:");
  for (const group of groups.map(infoOf)) {
    print(`  Group: ${group.name}, Consumers: ${group.consumers}, Pending: ${group.pending}`);
  }
  try {
    const consumers = (await redis.xinfo("CONSUMERS", stream, "processors")) as unknown[][];
    print("Consumers in 'processors' group:");
    for (const consumer of consumers.map(infoOf)) {
      print(`  Consumer: ${consumer.name}, Pending: ${consumer.pending}, Idle: ${consumer.idle}ms`);
    }
  } catch {
    print("Consumer group 'processors' does not exist");
  }
  // "~" lets Redis trim whole nodes only: on a small stream it trims nothing.
  print(`Trimmed ${await redis.xtrim(stream, "MAXLEN", "~", 1000)} messages from stream`);
  print(`Trimmed ${await redis.xtrim(stream, "MAXLEN", 2)} messages from stream (exact MAXLEN 2)`);
}

// --- The guide, run end to end -----------------------------------------------------------------

export interface GuideRun {
  readonly creation: string[];
  readonly newMessages: string[];
  readonly timeout: string[];
  readonly groups: string[];
  readonly multiple: string[];
  readonly workers: Map<string, string>;
  readonly recovery: string[];
  readonly information: string[];
}

/** Runs every example in the guide's order; `wait` lets idle time pass (a manual clock on the fake). */
export async function runGuide(
  redis: Redis,
  key: (name: string) => string,
  wait: (ms: number) => Promise<void>,
  recoveryIdleMs: number,
): Promise<GuideRun> {
  const lines = () => {
    const printed: string[] = [];
    return { printed, print: (line: string) => printed.push(line) };
  };
  const creation = lines();
  await streamCreationAndConsumption(redis, key("user_events"), creation.print);

  const newMessages = lines();
  await readingNewMessages(redis, key("notifications"), newMessages.print, 5000, () =>
    redis.xadd(key("notifications"), "*", "type", "alert", "user_id", "789"),
  );
  const timeout = lines();
  await readingNewMessages(redis, key("quiet"), timeout.print, 50, async () => undefined);

  const groups = lines();
  await consumerGroups(redis, key("user_events"), groups.print);

  const multiple = lines();
  const workers = (await multipleConsumers(redis, key("work_queue"), multiple.print)) ?? new Map();

  // worker_1 read 2 entries and acknowledged them; a crashed worker_2 now takes the third one.
  await redis.xreadgroup(
    "GROUP",
    "processors",
    "worker_2",
    "COUNT",
    1,
    "STREAMS",
    key("user_events"),
    ">",
  );
  await wait(recoveryIdleMs);
  const recovery = lines();
  await acknowledgmentAndRecovery(redis, key("user_events"), recovery.print, recoveryIdleMs);

  const information = lines();
  await streamInformation(redis, key("user_events"), information.print);
  return {
    creation: creation.printed,
    newMessages: newMessages.printed,
    timeout: timeout.printed,
    groups: groups.printed,
    multiple: multiple.printed,
    workers,
    recovery: recovery.printed,
    information: information.printed,
  };
}

/** What both targets must print once ids and measured times are masked. */
function normalised(lines: string[]): string[] {
  return lines.map((line) =>
    line.replace(/\d{13}-\d+/g, "<id>").replace(/(pending for |Idle: )\d+ms/g, "$1<n>ms"),
  );
}

export function expectGuideOutput(run: GuideRun): void {
  expect(normalised(run.creation)).toEqual([
    "Added event with ID: <id>",
    "Added event with ID: <id>",
    "Added event with ID: <id>",
    "Stream entries:",
    '  <id>: {"type":"user_signup","user_id":"123","email":"alice@example.com"}',
    '  <id>: {"type":"purchase","user_id":"123","amount":"29.99"}',
    '  <id>: {"type":"user_signup","user_id":"456","email":"bob@example.com"}',
    "Latest 2 entries: <id>, <id>",
  ]);
  expect(normalised(run.newMessages)).toEqual([
    "Waiting for new messages...",
    "Received 1 new messages:",
    '  <id>: {"type":"alert","user_id":"789"}',
  ]);
  expect(run.timeout).toEqual([
    "Waiting for new messages...",
    "No new messages received within timeout",
  ]);
  expect(normalised(run.groups)).toEqual([
    "Created consumer group 'processors'",
    "Consumer worker_1 received 2 messages:",
    '  Processing <id>: {"type":"user_signup","user_id":"123","email":"alice@example.com"}',
    "  Acknowledged <id>",
    '  Processing <id>: {"type":"purchase","user_id":"123","amount":"29.99"}',
    "  Acknowledged <id>",
  ]);
  expect(run.multiple.at(-1)).toBe("Processed 10 work items: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9");
  // Blocked readers are served in turn, so the items are shared, not all taken by one worker
  expect(new Set(run.workers.values()).size).toBeGreaterThan(1);
  expect(normalised(run.recovery)).toEqual([
    "Found 1 pending messages",
    "Message <id> pending for <n>ms (delivered 1 times to worker_2)",
    "Claimed message <id> for reprocessing",
    'Reprocessing: {"type":"user_signup","user_id":"456","email":"bob@example.com"}',
    "Acknowledged recovered message <id>",
  ]);
  expect(normalised(run.information)).toEqual([
    "Stream info: length=6, groups=1, last-generated-id=<id>",
    "Consumer groups:",
    "  Group: processors, Consumers: 3, Pending: 0",
    "Consumers in 'processors' group:",
    "  Consumer: recovery_worker, Pending: 0, Idle: <n>ms",
    "  Consumer: worker_1, Pending: 0, Idle: <n>ms",
    "  Consumer: worker_2, Pending: 0, Idle: <n>ms",
    "Trimmed 0 messages from stream",
    "Trimmed 4 messages from stream (exact MAXLEN 2)",
  ]);
}
