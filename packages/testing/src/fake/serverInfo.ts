import type { CommandContext } from "./CommandContext.js";
import type { FakeClock } from "./createManualClock.js";
import type { Database } from "./Database.js";
import type { ServerConnection } from "./FakeRedisServer.js";

// INFO: the sections and fields clients and the toolkit read (Redis 7.0 `genRedisInfoString`).

/** What INFO reports on, read from the server at the time of the call. */
export interface InfoFacts {
  readonly clock: FakeClock;
  readonly startedAt: number;
  readonly connections: ReadonlySet<ServerConnection>;
  readonly config: ReadonlyMap<string, string>;
  readonly commandsProcessed: number;
  readonly databases: readonly Database[];
}

/** The text of INFO [section]. */
export function renderServerInfo(
  section: string | undefined,
  ctx: CommandContext,
  server: InfoFacts,
): string {
  const now = server.clock.now();
  const sections: Record<string, string[]> = {
    server: [
      "redis_version:7.0.15",
      "redis_git_sha1:00000000",
      "redis_git_dirty:0",
      "redis_build_id:0",
      "redis_mode:standalone",
      "os:Linux",
      "arch_bits:64",
      "multiplexing_api:epoll",
      "process_id:1",
      "tcp_port:6379",
      `server_time_usec:${now * 1000}`,
      `uptime_in_seconds:${Math.floor((now - server.startedAt) / 1000)}`,
      `uptime_in_days:${Math.floor((now - server.startedAt) / 86_400_000)}`,
      "hz:10",
      "executable:/usr/bin/redis-server",
      "config_file:",
      // Not a Redis field: declares this server an in-memory test double, so that the store's
      // server check does not warn that it keeps nothing on disk (it never does, by design).
      "streamstore_fake:1",
    ],
    clients: [
      `connected_clients:${server.connections.size}`,
      "maxclients:10000",
      `blocked_clients:${[...server.connections].filter((c) => c.blocked !== undefined).length}`,
    ],
    memory: [
      "used_memory:1000000",
      "used_memory_human:976.56K",
      "used_memory_peak:1000000",
      `maxmemory:${server.config.get("maxmemory")}`,
      `maxmemory_policy:${server.config.get("maxmemory-policy")}`,
      "mem_fragmentation_ratio:1.00",
    ],
    persistence: [
      "loading:0",
      "async_loading:0",
      "rdb_changes_since_last_save:0",
      "rdb_bgsave_in_progress:0",
      "rdb_last_bgsave_status:ok",
      `aof_enabled:${server.config.get("appendonly") === "yes" ? 1 : 0}`,
      "aof_rewrite_in_progress:0",
      "aof_last_write_status:ok",
    ],
    stats: [`total_commands_processed:${server.commandsProcessed}`, "total_connections_received:0"],
    replication: ["role:master", "connected_slaves:0"],
    keyspace: server.databases
      .filter((database) => database.size(ctx.now) > 0)
      .map(
        (database) =>
          `db${database.index}:keys=${database.size(ctx.now)},expires=${database.expiresCount()},avg_ttl=0`,
      ),
  };
  const titles: Record<string, string> = {
    server: "Server",
    clients: "Clients",
    memory: "Memory",
    persistence: "Persistence",
    stats: "Stats",
    replication: "Replication",
    keyspace: "Keyspace",
  };
  const wanted =
    section === undefined || section === "default" || section === "all" || section === "everything"
      ? Object.keys(sections)
      : [section];
  return wanted
    .filter((name) => sections[name] !== undefined)
    .map((name) => [`# ${titles[name]}`, ...(sections[name] as string[])].join("\r\n"))
    .join("\r\n\r\n")
    .concat("\r\n");
}
