import {
  type CommandContext,
  type CommandTable,
  isOption,
  parseInt64,
  parseIntegerArgument,
} from "../CommandContext.js";
import type { RedisValue } from "../Database.js";
import { globToRegExp } from "../globToRegExp.js";
import { ERR_SYNTAX, OK, type Reply, replyError, StatusReply } from "../replyError.js";

const PONG = new StatusReply("PONG");

function estimateMemory(key: string, entry: RedisValue): number {
  // A rough figure in the spirit of `objectComputeSize`: key, robj header and payload bytes.
  let bytes = 56 + key.length;
  switch (entry.type) {
    case "string":
      return bytes + entry.value.length;
    case "hash":
      for (const [field, value] of entry.value) bytes += field.length + value.length + 4;
      return bytes + 16;
    case "set":
      for (const member of entry.value) bytes += member.length + 16;
      return bytes;
    case "zset":
      for (const member of entry.value.keys()) bytes += member.length + 24;
      return bytes + 32;
    case "list":
      for (const item of entry.value) bytes += item.length + 2;
      return bytes + 16;
    case "stream":
      return bytes + entry.value.estimateMemory();
  }
}

function client(ctx: CommandContext, argv: readonly string[]): Reply {
  const sub = (argv[1] as string).toUpperCase();
  if (sub === "SETNAME") {
    const name = argv[2] as string;
    for (const char of name) {
      if (char < "!" || char > "~") {
        throw replyError("ERR Client names cannot contain spaces, newlines or special characters.");
      }
    }
    ctx.connection.name = name.length === 0 ? null : name;
    return OK;
  }
  if (sub === "GETNAME") return ctx.connection.name;
  if (sub === "ID") return ctx.connection.id;
  if (sub === "INFO") {
    return `id=${ctx.connection.id} addr=127.0.0.1:0 laddr=127.0.0.1:6379 fd=8 name=${ctx.connection.name ?? ""} age=0 idle=0 flags=N db=${ctx.connection.db} sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=client|info user=default redir=-1 resp=3\n`;
  }
  return OK;
}

function config(ctx: CommandContext, argv: readonly string[]): Reply {
  const sub = (argv[1] as string).toUpperCase();
  const values = ctx.server.config();
  if (sub === "GET") {
    const reply: Reply[] = [];
    const seen = new Set<string>();
    for (const pattern of argv.slice(2)) {
      const matcher = globToRegExp(pattern, true);
      for (const [name, value] of values) {
        if (!seen.has(name) && matcher.test(name)) {
          seen.add(name);
          reply.push(name, value);
        }
      }
    }
    return reply;
  }
  if (sub === "SET") {
    if (argv.length < 4 || argv.length % 2 === 1) {
      throw replyError("ERR wrong number of arguments for 'config|set' command");
    }
    for (let index = 2; index < argv.length; index += 2) {
      const name = (argv[index] as string).toLowerCase();
      if (!values.has(name)) {
        throw replyError(
          `ERR Unknown option or number of arguments for CONFIG SET - '${argv[index]}'`,
        );
      }
      values.set(name, argv[index + 1] as string);
    }
    return OK;
  }
  if (sub === "RESETSTAT" || sub === "REWRITE") return OK;
  return OK;
}

/**
 * Connection and server commands of the fake.
 *
 * @example
 * ```ts
 * serverCommands.ping?.arity; // -1
 * ```
 */
export const serverCommands: CommandTable = {
  ping: {
    arity: -1,
    handler: (_ctx, argv) => {
      if (argv.length > 2) throw replyError("ERR wrong number of arguments for 'ping' command");
      return argv.length === 2 ? (argv[1] as string) : PONG;
    },
  },
  echo: { arity: 2, handler: (_ctx, argv) => argv[1] as string },
  time: {
    arity: 1,
    handler: (ctx) => {
      const now = ctx.clock.now();
      const seconds = Math.floor(now / 1000);
      return [String(seconds), String(Math.floor((now - seconds * 1000) * 1000))];
    },
  },
  info: {
    arity: -1,
    handler: (ctx, argv) => ctx.server.info(argv[1]?.toLowerCase(), ctx),
  },
  select: {
    arity: 2,
    handler: (ctx, argv) => {
      const index = parseIntegerArgument(argv[1] as string);
      if (index < 0 || index >= ctx.server.databaseCount) {
        throw replyError("ERR DB index is out of range");
      }
      ctx.connection.db = index;
      return OK;
    },
  },
  client: {
    arity: -2,
    noscript: true,
    handler: client,
    subcommands: {
      setname: { arity: 3 },
      getname: { arity: 2 },
      id: { arity: 2 },
      info: { arity: 2 },
      setinfo: { arity: 4 },
      "no-evict": { arity: 3 },
    },
  },
  config: {
    arity: -2,
    noscript: true,
    handler: config,
    subcommands: {
      get: { arity: -3 },
      set: { arity: -4 },
      resetstat: { arity: 2 },
      rewrite: { arity: 2 },
    },
  },
  memory: {
    arity: -2,
    handler: (ctx, argv) => {
      const key = argv[2] as string;
      if (argv.length > 3) {
        if (argv.length !== 5 || !isOption(argv[3], "SAMPLES")) throw replyError(ERR_SYNTAX);
        if (parseInt64(argv[4] as string) === undefined) {
          throw replyError("ERR value is not an integer or out of range");
        }
      }
      const entry = ctx.db.get(key, ctx.now);
      return entry === undefined ? null : estimateMemory(key, entry);
    },
    subcommands: { usage: { arity: -3 } },
  },
  wait: {
    arity: 3,
    noscript: true,
    handler: (_ctx, argv) => {
      parseIntegerArgument(argv[1] as string);
      const timeout = parseIntegerArgument(
        argv[2] as string,
        "ERR timeout is not an integer or out of range",
      );
      if (timeout < 0) throw replyError("ERR timeout is negative");
      // No replicas: WAIT acknowledges with zero right away.
      return 0;
    },
  },
};
