import type {
  CommandContext,
  CommandSpec,
  CommandTable,
  ConnectionState,
} from "./CommandContext.js";
import { isOption, parseIntegerArgument } from "./CommandContext.js";
import type { FakeRedisServer } from "./FakeRedisServer.js";
import { ERR_NOSCRIPT, ERR_SYNTAX, OK, type Reply, replyError, resp2Reply } from "./replyError.js";
import type { ScriptCache } from "./ScriptCache.js";

// EVAL/EVALSHA(_RO), FCALL(_RO), SCRIPT and FUNCTION: how the fake runs scripts against itself
// (Redis 7.0 src/eval.c, src/script.c, src/functions.c).

/**
 * What the scripting commands need from the server: its script cache and function libraries,
 * command lookup and execution, and a context for the script's own client.
 */
export type ScriptHost = Pick<
  FakeRedisServer,
  | "scripts"
  | "functions"
  | "nonAsciiSeen"
  | "noteArguments"
  | "execute"
  | "lookup"
  | "validate"
  | "context"
>;

/** SCRIPT FLUSH and FUNCTION FLUSH: an optional SYNC or ASYNC (both flush at once here). */
function flushWith(argv: readonly string[], flush: () => void): Reply {
  if (
    argv.length > 3 ||
    (argv.length === 3 && !isOption(argv[2], "SYNC") && !isOption(argv[2], "ASYNC"))
  ) {
    return replyError(ERR_SYNTAX);
  }
  flush();
  return OK;
}

/** `scriptCall` in Redis 7.0's `src/script.c`: checks, then runs a command for `redis.call`. */
function callFromScript(
  server: ScriptHost,
  ctx: CommandContext,
  argv: string[],
  readOnly: boolean,
): Reply {
  const problem = server.validate(argv, true);
  if (problem !== undefined) return problem;
  const found = server.lookup(argv) as { spec: CommandSpec; handlerSpec: CommandSpec };
  const name = (argv[0] as string).toLowerCase();
  if (
    found.handlerSpec.noscript ||
    ["multi", "exec", "discard", "watch", "unwatch"].includes(name)
  ) {
    return replyError("ERR This Redis command is not allowed from script");
  }
  if (readOnly && (found.handlerSpec.write || found.spec.write)) {
    return replyError("ERR Write commands are not allowed from read-only scripts.");
  }
  if (!server.nonAsciiSeen) server.noteArguments(argv);
  const result = server.execute(ctx, argv);
  // The script client speaks RESP2.
  return result !== null && typeof result === "object" && "kind" in result
    ? null
    : resp2Reply(result);
}

export function runScript(
  server: ScriptHost,
  ctx: CommandContext,
  argv: readonly string[],
  bySha: boolean,
  readOnly: boolean,
): Reply {
  const numberOfKeys = parseIntegerArgument(argv[2] as string);
  if (numberOfKeys > argv.length - 3) {
    return replyError("ERR Number of keys can't be greater than number of args");
  }
  if (numberOfKeys < 0) return replyError("ERR Number of keys can't be negative");
  const scripts = server.scripts;
  let sha: string;
  if (bySha) {
    sha = (argv[1] as string).toLowerCase();
    if (!scripts.has(sha)) return replyError(ERR_NOSCRIPT);
  } else {
    sha = scripts.load(argv[1] as string);
  }
  return runCachedScript(
    server,
    ctx,
    scripts,
    sha,
    argv.slice(3, 3 + numberOfKeys),
    argv.slice(3 + numberOfKeys),
    readOnly,
  );
}

/** FCALL / FCALL_RO (`fcallCommandGeneric` in Redis 7.0's `src/functions.c`). */
export function runFunction(
  server: ScriptHost,
  ctx: CommandContext,
  argv: readonly string[],
  readOnly: boolean,
): Reply {
  const fn = server.functions.get(argv[1] as string);
  if (fn === undefined) return replyError("ERR Function not found");
  const numberOfKeys = parseIntegerArgument(argv[2] as string);
  if (numberOfKeys > argv.length - 3) {
    return replyError("ERR Number of keys can't be greater than number of args");
  }
  if (numberOfKeys < 0) return replyError("ERR Number of keys can't be negative");
  return runCachedScript(
    server,
    ctx,
    server.functions.scripts,
    fn.sha,
    argv.slice(3, 3 + numberOfKeys),
    argv.slice(3 + numberOfKeys),
    readOnly,
  );
}

function runCachedScript(
  server: ScriptHost,
  ctx: CommandContext,
  scripts: ScriptCache,
  sha: string,
  keys: string[],
  args: string[],
  readOnly: boolean,
): Reply {
  const flags = scripts.flags(sha);
  // `scriptPrepareForRun` (Redis 7.0 src/script.c): a script that declares its flags in a
  // shebang (every function does) and does not declare no-writes is refused by the *_RO
  // commands before it runs. A script without a shebang runs, and has its writes refused at
  // the redis.call.
  if (readOnly && flags?.shebang === true && !flags.noWrites) {
    return replyError("ERR Can not execute a script with write flag using *_ro command.");
  }
  const noWrites = readOnly || (flags?.noWrites ?? false);
  // The script client starts on the caller's database; SELECT inside stays inside.
  const scriptConnection: ConnectionState = { ...ctx.connection, watched: new Set() };
  const now = ctx.now;
  return scripts.run(
    sha,
    {
      sha,
      keys,
      args,
      runCommand: (commandArgv) =>
        callFromScript(
          server,
          server.context(scriptConnection, true, true, now),
          commandArgv,
          noWrites,
        ),
    },
    (commandArgv) => isWriteCommand(server, commandArgv),
  );
}

/** Whether a command writes (what read-only scripts refuse). */
function isWriteCommand(server: ScriptHost, argv: readonly string[]): boolean {
  const found = server.lookup(argv);
  return (
    typeof found !== "string" && (found.handlerSpec.write === true || found.spec.write === true)
  );
}

export function scriptCommand(
  server: ScriptHost,
  _ctx: CommandContext,
  argv: readonly string[],
): Reply {
  const sub = (argv[1] as string).toUpperCase();
  const scripts = server.scripts;
  if (sub === "LOAD") return scripts.load(argv[2] as string);
  if (sub === "EXISTS") return argv.slice(2).map((sha) => (scripts.has(sha) ? 1 : 0));
  if (sub === "FLUSH") return flushWith(argv, () => scripts.flush());
  if (sub === "KILL") return replyError("NOTBUSY No scripts in execution right now.");
  return OK;
}

/** FUNCTION LOAD / LIST / DELETE / FLUSH (Redis 7.0 `src/functions.c`). */
export function functionCommand(
  server: ScriptHost,
  _ctx: CommandContext,
  argv: readonly string[],
): Reply {
  const sub = (argv[1] as string).toUpperCase();
  const functions = server.functions;
  if (sub === "LOAD") {
    const replace = argv.length === 4 && isOption(argv[2], "REPLACE");
    if (argv.length !== 3 && !replace) return replyError(ERR_SYNTAX);
    return functions.load(argv[argv.length - 1] as string, replace);
  }
  if (sub === "LIST") {
    let pattern: string | undefined;
    let withCode = false;
    for (let i = 2; i < argv.length; i++) {
      if (isOption(argv[i], "WITHCODE")) withCode = true;
      else if (isOption(argv[i], "LIBRARYNAME") && i + 1 < argv.length) pattern = argv[++i];
      else return replyError(`ERR Unknown argument ${argv[i]}`);
    }
    return functions.list(pattern, withCode);
  }
  if (sub === "DELETE") return functions.delete(argv[2] as string);
  if (sub === "FLUSH") return flushWith(argv, () => functions.flush());
  return replyError(`ERR unknown subcommand '${argv[1]}'. Try FUNCTION HELP.`);
}

export function scriptingCommands(server: ScriptHost): CommandTable {
  const evalSpec = (bySha: boolean, readOnly: boolean): CommandSpec => ({
    arity: -3,
    noscript: true,
    handler: (ctx, argv) => runScript(server, ctx, argv, bySha, readOnly),
  });
  const fcallSpec = (readOnly: boolean): CommandSpec => ({
    arity: -3,
    noscript: true,
    handler: (ctx, argv) => runFunction(server, ctx, argv, readOnly),
  });
  return {
    fcall: fcallSpec(false),
    fcall_ro: fcallSpec(true),
    function: {
      arity: -2,
      noscript: true,
      handler: (ctx, argv) => functionCommand(server, ctx, argv),
      subcommands: {
        load: { arity: -3, write: true },
        list: { arity: -2 },
        delete: { arity: 3, write: true },
        flush: { arity: -2, write: true },
      },
    },
    eval: evalSpec(false, false),
    evalsha: evalSpec(true, false),
    eval_ro: evalSpec(false, true),
    evalsha_ro: evalSpec(true, true),
    script: {
      arity: -2,
      noscript: true,
      handler: (ctx, argv) => scriptCommand(server, ctx, argv),
      subcommands: {
        load: { arity: 3 },
        exists: { arity: -3 },
        flush: { arity: -2 },
        kill: { arity: 2 },
      },
    },
  };
}
