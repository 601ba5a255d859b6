import { ARCHIVE_SCHEMA_VERSION } from "@streamstore/archive";
import {
  aclRuleFor,
  isArchiveSchemaError,
  isArchiveUnavailableError,
  isStreamstoreError,
  silentLogger,
} from "@streamstore/core";
import {
  checkServer,
  keyLayout,
  readCategoryRegistry,
  registryPartitions,
} from "@streamstore/core/internal";
import type { Command } from "commander";
import { Redis } from "ioredis";
import { readSeams } from "../archive/partitionTiers.js";
import type { ActionRunner } from "../context/ActionRunner.js";
import { type CommandContext, HOW_TO_GIVE_AN_ARCHIVE } from "../context/CommandContext.js";
import { EXIT_CODES } from "../exitCodes.js";
import { withExamples } from "./shared.js";

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

function infoField(info: string, name: string): string | undefined {
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

/**
 * What `streamstore doctor` found about the archive (the cold tier): `fail` when one was given
 * and cannot be used (unreachable, refused login, tables of another archive schema version), with
 * the typed error's message; `ok` when it answered or none was given; `warn` when none was given
 * but Redis says events were archived.
 *
 * @example
 * const check: ArchiveCheck = { target: "postgres://app:***@db:5432/events", status: "ok", value: "reachable, archive schema version 1", reason: "..." };
 */
export interface ArchiveCheck {
  /** The archive's URL (password masked), "the config's archive", or null when none was given. */
  target: string | null;
  status: "ok" | "warn" | "fail";
  value: string;
  reason: string;
  fix?: string;
  /** The typed error's code when the archive failed (`ARCHIVE_UNAVAILABLE`, `ARCHIVE_SCHEMA`). */
  code?: string;
}

/**
 * Checks the archive given to the CLI by asking it one cheap question (the last archived position
 * of a category partition: a connection, the tables' schema version, one indexed query).
 */
async function checkArchive(context: CommandContext, prefix: string): Promise<ArchiveCheck> {
  const archive = await context.archive();
  const target = (await context.archiveForDisplay()) ?? null;
  const categories = async () => {
    const redis = await context.redis();
    const keys = keyLayout(prefix);
    // Counts checked as read (a hand-written one is left out: `categories` reports it).
    const partitions = registryPartitions(await readCategoryRegistry(redis, keys));
    return { redis, keys, partitions };
  };
  if (!archive) {
    // Redis's seams say whether this prefix has archived events that nobody can check here.
    const archived = await categories()
      .then(async ({ redis, keys, partitions }) =>
        (await readSeams(redis, keys, partitions)).reduce((sum, seam) => sum + seam.events, 0),
      )
      .catch(() => 0);
    if (archived > 0) {
      return {
        target,
        status: "warn",
        value: "not given",
        reason: `${archived} events of prefix "${prefix}" were archived (moved out of Redis by the archiver), and no archive was given to check`,
        fix: HOW_TO_GIVE_AN_ARCHIVE,
      };
    }
    return {
      target,
      status: "ok",
      value: "not configured",
      reason:
        "no archive was given (--archive-url, STREAMSTORE_ARCHIVE_URL or the config's archive), and no event of this prefix was archived: every event is in Redis",
    };
  }
  const [first] = await categories()
    .then(({ partitions }) => partitions)
    .catch(() => []);
  try {
    await archive.lastPosition(first?.category ?? "streamstore", 0);
  } catch (error) {
    if (!isStreamstoreError(error)) throw error;
    return {
      target,
      status: "fail",
      value: isArchiveUnavailableError(error)
        ? "unavailable"
        : isArchiveSchemaError(error)
          ? "unusable tables"
          : error.code,
      reason: context.redact(error.message),
      code: error.code,
      fix: isArchiveUnavailableError(error)
        ? "check that PostgreSQL runs and accepts this connection (host, port, database, user and password of --archive-url, STREAMSTORE_ARCHIVE_URL or the config's archive)"
        : "see the message: the archive's tables were made by another release or belong to something else",
    };
  }
  return {
    target,
    status: "ok",
    value: target?.startsWith("postgres")
      ? `reachable, archive schema version ${ARCHIVE_SCHEMA_VERSION}`
      : "reachable",
    reason: target?.startsWith("postgres")
      ? "it answered, with tables this @streamstore/archive reads and writes"
      : "it answered",
  };
}

/** `host:port` of every primary of a Cluster, from CLUSTER NODES. */
async function clusterPrimaries(redis: Redis): Promise<string[]> {
  const nodes = (await redis.call("CLUSTER", "NODES")) as string;
  return nodes
    .split("\n")
    .map((line) => line.split(" "))
    .filter((fields) => fields[2]?.split(",").includes("master") && fields[7] === "connected")
    .map((fields) => (fields[1] ?? "").split("@")[0] as string)
    .filter((address) => address !== "")
    .sort();
}

async function doctor(context: CommandContext): Promise<number> {
  // Any node of a Cluster will do: doctor finds the primaries with CLUSTER NODES.
  const redis = await context.node();
  const prefix = await context.prefix();
  const url = await context.redisUrlForDisplay();
  const { output } = context;
  const c = output.colors;
  const options = redis.options;
  const self = `${options.host ?? "127.0.0.1"}:${options.port ?? 6379}`;
  const clusterEnabled =
    infoField((await redis.info("cluster")) as string, "cluster_enabled") === "1";
  const checks: DoctorCheck[] = [];
  if (clusterEnabled) {
    const primaries = await clusterPrimaries(redis);
    checks.push({
      node: self,
      check: "cluster",
      status: "ok",
      value: `cluster mode, ${primaries.length} primaries`,
      reason: "every primary is checked below; keys of one category partition share a slot",
    });
    for (const address of primaries) {
      const separator = address.lastIndexOf(":");
      // The same credentials and TLS settings as the node given, on each primary in turn: one
      // evicting or non-persisting primary loses the events of its slots.
      const node = new Redis({
        ...options,
        host: address.slice(0, separator),
        port: Number(address.slice(separator + 1)),
        lazyConnect: false,
      });
      node.on("error", () => {});
      try {
        checks.push(...(await checkNode(node, address)));
      } finally {
        node.disconnect();
      }
    }
  } else {
    checks.push({
      node: self,
      check: "cluster",
      status: "ok",
      value: "standalone",
      reason: "one server holds every key",
    });
    checks.push(...(await checkNode(redis, self)));
  }
  // Three users: the application's (runtime), the operator's (this CLI and the dashboard, with
  // rebuild and dead-letter repair), and a read-only one for watching. Printed ready to paste.
  const userBase = `streamstore-${prefix.replace(/[^A-Za-z0-9_-]/g, "-")}`;
  const aclRole = (role: "runtime" | "operator" | "operator-readonly", name: string) => {
    const rules = aclRuleFor(prefix, { role });
    return { rules, command: `ACL SETUSER ${name} on >CHANGE-ME ${rules.join(" ")}` };
  };
  const runtimeAcl = aclRole("runtime", userBase);
  const operatorAcl = aclRole("operator", `${userBase}-operator`);
  const readonlyAcl = aclRole("operator-readonly", `${userBase}-readonly`);
  let user: string | undefined;
  try {
    user = String(await redis.call("ACL", "WHOAMI"));
  } catch {
    // ACL WHOAMI is in the operator rules, not the runtime one: such a user cannot tell its name.
  }
  const archive = await checkArchive(context, prefix);
  const failed = checks.filter((check) => check.status === "fail");
  const warned = checks.filter((check) => check.status === "warn");
  const archiveFailed = archive.status === "fail";
  const warnings = warned.length + (archive.status === "warn" ? 1 : 0);
  const exitCode = failed.length > 0 || archiveFailed ? EXIT_CODES.dataAtRisk : EXIT_CODES.ok;
  output.data(
    {
      server: url,
      prefix,
      user: user ?? null,
      ok: failed.length === 0 && !archiveFailed,
      checks,
      archive,
      acl: { ...runtimeAcl, operator: operatorAcl, operatorReadonly: readonlyAcl },
    },
    () => {
      output.line(`${c.bold("streamstore doctor")}  ${url}  prefix "${prefix}"`);
      output.line();
      const label = {
        ok: c.green("ok  "),
        warn: c.yellow("warn"),
        fail: c.red(c.bold("FAIL")),
      };
      const showNode = clusterEnabled;
      const width = Math.max(...checks.map((check) => check.check.length));
      const shown: (Pick<DoctorCheck, "check" | "status" | "value" | "reason" | "fix"> & {
        node?: string;
      })[] = [
        ...checks,
        {
          check: "archive",
          status: archive.status,
          value: archive.target ? `${archive.value} (${archive.target})` : archive.value,
          reason: archive.reason,
          ...(archive.fix ? { fix: archive.fix } : {}),
        },
      ];
      for (const check of shown) {
        const value = check.status === "fail" ? c.red(check.value) : check.value;
        output.line(
          `  ${label[check.status]}  ${check.check.padEnd(width)}  ${showNode && check.node ? `${check.node}  ` : ""}${value}`,
        );
        const reason = check.status === "fail" ? c.red(check.reason) : c.dim(check.reason);
        output.line(`        ${" ".repeat(width)}  ${reason}`);
        if (check.fix) output.line(`        ${" ".repeat(width)}  ${c.cyan(`fix: ${check.fix}`)}`);
      }
      output.line();
      output.line(
        `ACL rules for prefix "${prefix}" (paste into redis-cli; pick the user names and passwords${user ? `; connected as "${user}"` : ""}):`,
      );
      output.line();
      output.line("  the application (event store, projections, reactors):");
      output.line(`  ${runtimeAcl.command}`);
      output.line();
      output.line(
        "  an operator (this CLI and the dashboard: tail, categories, doctor, rebuild, dlq retry/discard):",
      );
      output.line(`  ${operatorAcl.command}`);
      output.line();
      output.line("  a read-only operator (every command but rebuild and dlq retry/discard):");
      output.line(`  ${readonlyAcl.command}`);
      output.line();
      output.line(
        "  These users run the toolkit's Lua as Redis Functions (FCALL) and no Lua of their own: load the functions once per server as an admin with `streamstore functions install`.",
      );
      output.line();
      if (failed.length > 0) {
        output.line(
          c.red(
            c.bold(
              `${failed.length} check${failed.length === 1 ? "" : "s"} failed: this Redis can lose events (exit code 3). Apply the fixes above.`,
            ),
          ),
        );
      }
      if (archiveFailed) {
        output.line(
          c.red(
            c.bold(
              "The archive cannot be used: archived events cannot be read, nor more archived (exit code 3). See the archive check above.",
            ),
          ),
        );
      }
      if (failed.length === 0 && !archiveFailed) {
        output.line(
          c.green(
            `Nothing found that could lose events${warnings > 0 ? ` (${warnings} warning${warnings === 1 ? "" : "s"} above)` : ""}.`,
          ),
        );
      }
    },
  );
  return exitCode;
}

/**
 * Registers `streamstore doctor`.
 *
 * @example
 * registerDoctor(program, runAction);
 */
export function registerDoctor(program: Command, runAction: ActionRunner): void {
  withExamples(
    program
      .command("doctor")
      .description(
        "Check the Redis server for settings that can lose events (version, persistence, eviction, memory, cluster, replicas), and the archive when one is given (reachable, its tables' schema version), and print the ACL rules for the prefix. Exit code 3 when a check fails.",
      ),
    [
      "streamstore doctor --redis-url redis://10.0.0.5:6379 --prefix shop",
      "streamstore doctor --json | jq '.checks[] | select(.status != \"ok\")'",
    ],
  ).action(runAction((context) => doctor(context)));
}
