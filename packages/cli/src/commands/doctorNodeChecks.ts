import { silentLogger } from "@streamstore/core";
import { checkServer } from "@streamstore/core/internal";
import type { Redis } from "ioredis";

// What `streamstore doctor` checks on each Redis node: version, persistence, memory policy, ACL...

/**
 * One finding of `streamstore doctor`: `fail` can lose events (exit code 3), `warn` deserves a
 * look, `ok` is fine. `fix` says what to do.
 *
 * @example
 * const check: DoctorCheck = { node: "127.0.0.1:6379", check: "maxmemory-policy", status: "fail", value: "allkeys-lru", reason: "...", fix: "..." };
 */
export interface DoctorCheck {
  /** The server checked (`host:port`); on a Cluster, one entry per primary. */
  node: string;
  check: string;
  status: "ok" | "warn" | "fail";
  value: string;
  reason: string;
  fix?: string;
}

export function infoField(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)$`, "m").exec(info)?.[1]?.trim();
}

function bytes(value: number): string {
  if (value >= 1024 ** 3) return `${(value / 1024 ** 3).toFixed(1)} GiB`;
  if (value >= 1024 ** 2) return `${(value / 1024 ** 2).toFixed(1)} MiB`;
  if (value >= 1024) return `${(value / 1024).toFixed(1)} KiB`;
  return `${value} B`;
}

async function configGet(redis: Redis, name: string): Promise<string | undefined> {
  try {
    const reply = (await redis.call("CONFIG", "GET", name)) as string[];
    return reply[1];
  } catch {
    // CONFIG is denied to the toolkit's ACL user (aclRuleFor) and renamed on managed Redis.
    return undefined;
  }
}

/**
 * Checks one server: version, persistence, eviction, memory, replicas. The settings come from the
 * toolkit's own server check (`checkServer`, CONFIG GET with an INFO fallback), so the CLI and the
 * store judge the same facts.
 *
 * @example
 * const checks = await checkNode(redis, "127.0.0.1:6379");
 */
export async function checkNode(redis: Redis, node: string): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const add = (check: Omit<DoctorCheck, "node">) => checks.push({ node, ...check });
  const [server, memory, replication, persistence] = (await Promise.all(
    ["server", "memory", "replication", "persistence"].map((section) => redis.info(section)),
  )) as string[];
  const version = infoField(server ?? "", "redis_version") ?? "?";
  const major = Number(version.split(".")[0]);
  add(
    major >= 7
      ? { check: "version", status: "ok", value: version, reason: "Redis 7 or later" }
      : {
          check: "version",
          status: "fail",
          value: version,
          reason: "streamstore needs Redis 7 or later (its scripts use Redis 7 script flags)",
          fix: "upgrade the server to Redis 7 or later",
        },
  );
  // allowEviction: report the policy here instead of having checkServer refuse it.
  const facts = await checkServer(redis, { logger: silentLogger, allowEviction: true }).catch(
    () => ({}) as Awaited<ReturnType<typeof checkServer>>,
  );
  const appendonly =
    facts.appendonly ?? (infoField(persistence ?? "", "aof_enabled") === "1" ? "yes" : "no");
  const appendfsync = facts.appendfsync ?? (await configGet(redis, "appendfsync"));
  const save = facts.save ?? (await configGet(redis, "save"));
  const rdb = save === undefined ? "RDB unknown" : save === "" ? "RDB off" : `RDB save "${save}"`;
  if (appendonly === "yes") {
    if (appendfsync === "always") {
      add({
        check: "persistence",
        status: "ok",
        value: `AOF on, appendfsync always, ${rdb}`,
        reason: "every write is on disk before Redis acknowledges it",
      });
    } else if (appendfsync === "everysec") {
      add({
        check: "persistence",
        status: "warn",
        value: `AOF on, appendfsync everysec, ${rdb}`,
        reason:
          'a crash of the machine (power, kernel) can lose up to 1 s of acknowledged events; a crash of Redis alone loses nothing (see "Durability" in the @streamstore/core README)',
        fix: "CONFIG SET appendfsync always (and in redis.conf) if no acknowledged event may ever be lost",
      });
    } else if (appendfsync === "no") {
      add({
        check: "persistence",
        status: "warn",
        value: `AOF on, appendfsync no, ${rdb}`,
        reason:
          "the OS decides when the AOF reaches the disk (about every 30 s): a machine crash loses that much",
        fix: "CONFIG SET appendfsync everysec (or always), and in redis.conf",
      });
    } else {
      add({
        check: "persistence",
        status: "warn",
        value: `AOF on, appendfsync unknown, ${rdb}`,
        reason: "CONFIG GET is not allowed to this user, so the fsync policy cannot be read",
        fix: "check appendfsync in redis.conf (always or everysec), or run doctor as an admin user",
      });
    }
  } else if (save !== undefined && save !== "") {
    add({
      check: "persistence",
      status: "fail",
      value: `AOF off, ${rdb}`,
      reason:
        "only RDB snapshots: a crash or restart loses every event appended since the last snapshot",
      fix: "CONFIG SET appendonly yes; CONFIG SET appendfsync always (or everysec), and in redis.conf",
    });
  } else {
    add({
      check: "persistence",
      status: "fail",
      value: `AOF off, ${rdb}`,
      reason: "nothing is kept on disk: a restart loses every event",
      fix: "CONFIG SET appendonly yes; CONFIG SET appendfsync always (or everysec), and in redis.conf",
    });
  }
  const policy = facts.maxmemoryPolicy ?? infoField(memory ?? "", "maxmemory_policy") ?? "?";
  add(
    policy === "noeviction"
      ? {
          check: "maxmemory-policy",
          status: "ok",
          value: policy,
          reason: "a full Redis refuses appends (RedisOutOfMemoryError) instead of evicting keys",
        }
      : {
          check: "maxmemory-policy",
          status: "fail",
          value: policy,
          reason:
            "Redis may EVICT keys when memory is full: events and read models vanish silently, with no error anywhere",
          fix: "CONFIG SET maxmemory-policy noeviction (and in redis.conf)",
        },
  );
  const maxmemory = Number(infoField(memory ?? "", "maxmemory") ?? 0);
  const used = Number(infoField(memory ?? "", "used_memory") ?? 0);
  if (maxmemory === 0) {
    add({
      check: "maxmemory",
      status: "warn",
      value: `no limit (using ${bytes(used)})`,
      reason:
        "Redis grows until the OS runs out of memory and kills it (or swaps): set a limit below the machine's RAM so appends fail cleanly instead",
      fix: "CONFIG SET maxmemory <bytes> (about 3/4 of the RAM with AOF rewrites), and in redis.conf",
    });
  } else {
    const share = used / maxmemory;
    add({
      check: "maxmemory",
      status: share > 0.8 ? "warn" : "ok",
      value: `${bytes(used)} of ${bytes(maxmemory)} (${Math.round(share * 100)}%)`,
      reason:
        share > 0.8
          ? "over 80% used: appends start failing with RedisOutOfMemoryError at 100%"
          : "room to grow",
      ...(share > 0.8
        ? { fix: "raise maxmemory, trim old logs (XTRIM), or drop retired read models" }
        : {}),
    });
  }
  const role = infoField(replication ?? "", "role") ?? "?";
  const replicas = Number(infoField(replication ?? "", "connected_slaves") ?? 0);
  if (role === "slave") {
    add({
      check: "replicas",
      status: "warn",
      value: "this server is a replica",
      reason: "writes go to its primary; run doctor against the primary",
    });
  } else {
    add({
      check: "replicas",
      status: replicas > 0 ? "ok" : "warn",
      value: `${replicas} connected`,
      reason:
        replicas > 0
          ? 'replication is asynchronous: use append durability { replicas } where a failover must lose nothing (see "Durability" in the @streamstore/core README)'
          : "losing this machine loses every event since the last backup",
      ...(replicas > 0 ? {} : { fix: "add a replica (REPLICAOF) and back up the AOF" }),
    });
  }
  return checks;
}
