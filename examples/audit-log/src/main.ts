import {
  decodeEntry,
  type EventStore,
  getRedisEventStore,
  type RawStreamEntry,
  type RecordedEvent,
} from "@streamstore/core";
import type { Redis } from "ioredis";
import { isDirectRun, openBackend } from "../../shared/backend.js";
import { describeChange, type UserEvent, userEvents } from "./userEvents.js";

/** Options of {@link main}. */
export interface MainOptions {
  /** A real Redis to run on; the in-memory fake when absent. */
  redisUrl?: string | undefined;
  /** Where the story goes, one line at a time. Default: stdout. */
  print?: (line: string) => void;
  /** A shorter run (less background traffic), for the tour's `--quick`. */
  quick?: boolean;
}

/** The figures of one run, for the tour and the tests. */
export interface AuditLogSummary {
  eventsAppended: number;
  streams: number;
  inWindow: number;
  inWindowByIncidentActor: number;
  roleGrants: number;
}

type Store = EventStore<typeof userEvents>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The server's clock in ms: event timestamps come from it, so time ranges must too. */
async function serverTime(redis: Redis): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

/**
 * Reads every user change between two times, oldest first, across all users: the category log's
 * entry ids are Redis timestamps (`<ms>-<seq>`), so a time range is one XRANGE per partition.
 */
async function changesBetween(
  store: Store,
  redis: Redis,
  fromMs: number,
  toMs: number,
): Promise<RecordedEvent<UserEvent>[]> {
  const changes: RecordedEvent<UserEvent>[] = [];
  const partitions = await store.partitionsOf("user");
  for (let partition = 0; partition < partitions; partition++) {
    // "<ms>" as an XRANGE end means "<ms>-<largest sequence>": the whole last millisecond.
    const entries = (await redis.xrange(
      store.keys.log("user", partition),
      `${fromMs}`,
      `${toMs}`,
    )) as RawStreamEntry[];
    for (const entry of entries) {
      changes.push(
        decodeEntry<UserEvent>(userEvents, entry, {
          streamName: "user",
          category: "user",
          partition,
          kind: "log",
        }),
      );
    }
  }
  return changes.sort((left, right) => left.timestamp.getTime() - right.timestamp.getTime());
}

/**
 * Newest-first changes of one user that match `keep`, stopping at `sinceMs`: a stream is in time
 * order, so reading backward stops as soon as it passes the start of the range.
 */
async function latestChanges(
  store: Store,
  streamName: string,
  options: { limit: number; keep?: (event: UserEvent) => boolean; sinceMs?: number },
): Promise<RecordedEvent<UserEvent>[]> {
  const found: RecordedEvent<UserEvent>[] = [];
  for await (const event of store.read(streamName, { direction: "backward", pageSize: 50 })) {
    if (options.sinceMs !== undefined && event.timestamp.getTime() < options.sinceMs) break;
    if (options.keep && !options.keep(event)) continue;
    found.push(event);
    if (found.length >= options.limit) break;
  }
  return found;
}

/**
 * Records every change to user accounts (with who made it), then answers the questions an
 * auditor asks: the latest changes of one user, only the role changes, everything within the
 * window of an incident.
 *
 * @example
 * await main({ redisUrl: process.env.REDIS_URL });
 */
export async function main(options: MainOptions = {}): Promise<AuditLogSummary> {
  const print = options.print ?? ((line: string) => console.log(line));
  const backgroundUsers = options.quick ? 10 : 40;
  const backend = await openBackend("audit", options.redisUrl);
  print(`Running on ${backend.name} (key prefix "${backend.prefix}").`);
  const store: Store = getRedisEventStore({
    redis: backend.redis,
    events: userEvents,
    prefix: backend.prefix,
    serverCheck: backend.serverCheck,
  });
  let eventsAppended = 0;
  const streams = new Set<string>();
  const change = async (streamName: string, actor: string, event: UserEvent) => {
    // Each change is its own append: the audit trail is the event stream itself, never rewritten.
    await store.append(streamName, [event], { metadata: { actor } });
    eventsAppended++;
    streams.add(streamName);
  };
  const selfService = async (round: number) => {
    for (let index = 1; index <= backgroundUsers; index++) {
      const user = `u${String(index).padStart(3, "0")}`;
      const email = (n: number) => `${user}+${n}@example.com`;
      if (round === 0) {
        await change(`user-${user}`, user, { type: "UserRegistered", data: { email: email(0) } });
      } else {
        await change(`user-${user}`, user, {
          type: "EmailChanged",
          data: { from: email(round - 1), to: email(round) },
        });
      }
    }
  };

  try {
    const startedAt = await serverTime(backend.redis);
    const at = (event: RecordedEvent) => `+${event.timestamp.getTime() - startedAt} ms`;
    const actor = (event: RecordedEvent) => String(event.metadata.actor);

    print("");
    print("1. Recording changes");
    await change("user-bob", "signup", {
      type: "UserRegistered",
      data: { email: "bob@example.com" },
    });
    await change("user-carol", "signup", {
      type: "UserRegistered",
      data: { email: "carol@example.com" },
    });
    await change("user-bob", "admin-1", { type: "RoleGranted", data: { role: "editor" } });
    await change("user-bob", "bob", {
      type: "EmailChanged",
      data: { from: "bob@example.com", to: "robert@example.com" },
    });
    await selfService(0);
    print(
      `   before the incident: ${eventsAppended} changes (bob, carol, ${backgroundUsers} users signing up)`,
    );

    // Time markers from the server's clock, a few ms apart from any change, so the window is exact.
    await sleep(5);
    const windowStart = await serverTime(backend.redis);
    await sleep(5);
    const beforeWindow = eventsAppended;
    await change("user-mallory", "admin-3", {
      type: "UserRegistered",
      data: { email: "mallory@example.net" },
    });
    for (const user of ["user-mallory", "user-bob", "user-carol"]) {
      await change(user, "admin-3", { type: "RoleGranted", data: { role: "admin" } });
    }
    await change("user-carol", "admin-3", { type: "PasswordReset", data: {} });
    await selfService(1);
    await sleep(5);
    const windowEnd = await serverTime(backend.redis);
    await sleep(5);
    print(
      `   during the incident window (+${windowStart - startedAt} ms to +${windowEnd - startedAt} ms): ${eventsAppended - beforeWindow} changes`,
    );
    const beforeAfter = eventsAppended;
    for (const user of ["user-mallory", "user-bob", "user-carol"]) {
      await change(user, "security-1", { type: "RoleRevoked", data: { role: "admin" } });
    }
    await change("user-carol", "carol", { type: "PasswordReset", data: {} });
    await selfService(2);
    print(`   after it: ${eventsAppended - beforeAfter} changes`);
    let logLength = 0;
    for (let partition = 0; partition < (await store.partitionsOf("user")); partition++) {
      logLength += await backend.redis.xlen(store.keys.log("user", partition));
    }
    print(
      `   => ${eventsAppended} changes appended to ${streams.size} user streams; the user log holds ${logLength} entries`,
    );

    print("");
    print("2. The latest 3 changes of user-bob, newest first (store.read backward)");
    const bobVersion = await store.version("user-bob");
    for (const event of await latestChanges(store, "user-bob", { limit: 3 })) {
      print(`   v${event.version} ${at(event)} by ${actor(event)}: ${describeChange(event)}`);
    }
    print(`   (user-bob has ${bobVersion} changes in all)`);

    print("");
    print("3. Only role changes of user-carol, newest first (filtered by type)");
    const roleChanges = await latestChanges(store, "user-carol", {
      limit: 100,
      keep: (event) => event.type === "RoleGranted" || event.type === "RoleRevoked",
    });
    for (const event of roleChanges) {
      print(`   v${event.version} ${at(event)} by ${actor(event)}: ${describeChange(event)}`);
    }

    print("");
    print("4. Every change in the incident window, all users (XRANGE on the log by time)");
    const inWindow = await changesBetween(store, backend.redis, windowStart, windowEnd);
    const byActor = new Map<string, number>();
    for (const event of inWindow) byActor.set(actor(event), (byActor.get(actor(event)) ?? 0) + 1);
    const incident = inWindow.filter((event) => actor(event) === "admin-3");
    print(
      `   ${inWindow.length} changes in the window: ${incident.length} by admin-3, ${inWindow.length - incident.length} self-service by ${byActor.size - 1} users`,
    );
    for (const event of incident) {
      print(`   ${at(event)} ${event.streamName} v${event.version}: ${describeChange(event)}`);
    }

    print("");
    print("5. user-carol since the window opened (backward read that stops at the start time)");
    const carolSince = await latestChanges(store, "user-carol", {
      limit: 100,
      sinceMs: windowStart,
    });
    for (const event of carolSince) {
      print(`   v${event.version} ${at(event)} by ${actor(event)}: ${describeChange(event)}`);
    }

    print("");
    print("6. Role grants across all users, whole history (filtered by type on the log)");
    const grants = (await changesBetween(store, backend.redis, 0, Number.MAX_SAFE_INTEGER)).filter(
      (event) => event.type === "RoleGranted",
    );
    const grantsByRole = new Map<string, number>();
    for (const event of grants) {
      if (event.type === "RoleGranted") {
        grantsByRole.set(event.data.role, (grantsByRole.get(event.data.role) ?? 0) + 1);
      }
    }
    print(
      `   ${grants.length} role grants: ${[...grantsByRole].map(([role, count]) => `${count} ${role}`).join(", ")}`,
    );
    print("");
    print(
      `Done: ${eventsAppended} changes appended, ${inWindow.length} in the incident window, ${incident.length} of them by admin-3.`,
    );
    return {
      eventsAppended,
      streams: streams.size,
      inWindow: inWindow.length,
      inWindowByIncidentActor: incident.length,
      roleGrants: grants.length,
    };
  } finally {
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
