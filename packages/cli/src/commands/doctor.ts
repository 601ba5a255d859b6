import { aclRuleFor } from "@streamstore/core";
import type { Command } from "commander";
import { Redis } from "ioredis";
import type { ActionRunner } from "../context/ActionRunner.js";
import type { CommandContext } from "../context/CommandContext.js";
import { EXIT_CODES } from "../exitCodes.js";
import { checkArchive } from "./doctorArchiveCheck.js";
import { checkNode, type DoctorCheck, infoField } from "./doctorNodeChecks.js";
import { withExamples } from "./shared.js";

export type { ArchiveCheck } from "./doctorArchiveCheck.js";
export { checkNode, type DoctorCheck } from "./doctorNodeChecks.js";

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
