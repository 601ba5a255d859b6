import { SimpleError } from "ioredis/built/resp/errors.js";

/**
 * Creates the error a real server reply would produce in ioredis 6: a `SimpleError` (a subclass of
 * the `ReplyError` that ioredis re-exports from `redis-errors`, `name === "ReplyError"`), whose
 * message is the reply text without the leading `-`.
 *
 * Messages are spelled exactly as Redis 7.0 sends them; Redis prefixes `ERR ` unless the text
 * already starts with an upper-case error code (`addReplyErrorLength` in `src/networking.c`),
 * which is why callers pass the full text.
 *
 * @example
 * ```ts
 * throw replyError("ERR syntax error");
 * ```
 */
export function replyError(message: string): Error {
  return new ReplyErrorClass(message);
}

// redis-errors ships no types, so ioredis's declaration of SimpleError loses its constructor.
const ReplyErrorClass = SimpleError as unknown as new (message: string) => Error;

/**
 * `shared.syntaxerr` in Redis's `src/server.c`.
 *
 * @example
 * ```ts
 * throw replyError(ERR_SYNTAX);
 * ```
 */
export const ERR_SYNTAX = "ERR syntax error";
/**
 * `shared.wrongtypeerr`.
 *
 * @example
 * ```ts
 * throw replyError(ERR_WRONGTYPE);
 * ```
 */
export const ERR_WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";
/**
 * What `getLongLongFromObjectOrReply` sends for a non-integer.
 *
 * @example
 * ```ts
 * throw replyError(ERR_NOT_INTEGER);
 * ```
 */
export const ERR_NOT_INTEGER = "ERR value is not an integer or out of range";
/**
 * `shared.nokeyerr`.
 *
 * @example
 * ```ts
 * throw replyError(ERR_NO_SUCH_KEY);
 * ```
 */
export const ERR_NO_SUCH_KEY = "ERR no such key";
/**
 * `streamGenericParseIDOrReply` in `src/t_stream.c`.
 *
 * @example
 * ```ts
 * throw replyError(ERR_INVALID_STREAM_ID);
 * ```
 */
export const ERR_INVALID_STREAM_ID = "ERR Invalid stream ID specified as stream command argument";
/**
 * `shared.noscripterr`.
 *
 * @example
 * ```ts
 * return replyError(ERR_NOSCRIPT);
 * ```
 */
export const ERR_NOSCRIPT = "NOSCRIPT No matching script. Please use EVAL.";
/**
 * `shared.execaborterr`.
 *
 * @example
 * ```ts
 * return replyError(ERR_EXECABORT);
 * ```
 */
export const ERR_EXECABORT = "EXECABORT Transaction discarded because of previous errors.";

/**
 * `addReplyErrorArity` in Redis 7.0: the command's full name (`xgroup|create` for subcommands).
 *
 * @example
 * ```ts
 * throw replyError(arityError("get"));
 * ```
 */
export function arityError(fullName: string): string {
  return `ERR wrong number of arguments for '${fullName}' command`;
}

/**
 * `addReplySubcommandSyntaxError` in Redis 7.0.
 *
 * @example
 * ```ts
 * throw replyError(subcommandSyntaxError("XINFO", "nope"));
 * ```
 */
export function subcommandSyntaxError(command: string, subcommand: string): string {
  return `ERR unknown subcommand or wrong number of arguments for '${subcommand.slice(0, 128)}'. Try ${command.toUpperCase()} HELP.`;
}

/**
 * A RESP simple-string ("status") reply. ioredis turns it into a plain string, but Lua sees it as
 * `{ok = "..."}` (`redisProtocolToLuaType_Status` in `src/script_lua.c`), so the fake keeps the
 * difference until the reply leaves the server.
 *
 * @example
 * ```ts
 * const reply = new StatusReply("OK");
 * ```
 */
export class StatusReply {
  constructor(readonly value: string) {}
}

/**
 * The `+OK` reply.
 *
 * @example
 * ```ts
 * return OK;
 * ```
 */
export const OK = new StatusReply("OK");
/**
 * The `+QUEUED` reply inside MULTI.
 *
 * @example
 * ```ts
 * return QUEUED;
 * ```
 */
export const QUEUED = new StatusReply("QUEUED");

/**
 * A reply whose shape depends on the caller's protocol, for the few commands Redis 7.0 answers
 * differently in RESP3. The fake's clients speak RESP3 like ioredis 6 (`protocol: 3`, the
 * `legacy` reply mapping, which decodes a map as a flat key/value array); Lua's `redis.call` and
 * the script twins get the RESP2 shape, as Redis's script client speaks RESP2.
 *
 * - XREAD/XREADGROUP: RESP2 `[[key, entries], ...]`, RESP3 a map → `[key, entries, ...]`;
 * - ZRANGE WITHSCORES: RESP2 `[member, score, ...]`, RESP3 `[[member, score], ...]`.
 *
 * Only a command's top-level reply (or an item of EXEC's) may be one.
 *
 * @example
 * ```ts
 * return new ProtocolReply([[key, entries]], [key, entries]);
 * ```
 */
export class ProtocolReply {
  constructor(
    readonly resp2: Reply,
    readonly resp3: Reply,
  ) {}
}

/**
 * The RESP2 shape of a reply (what a script's `redis.call` sees).
 *
 * @example
 * ```ts
 * const forLua = resp2Reply(reply);
 * ```
 */
export function resp2Reply(reply: CommandReply): Reply {
  // EXEC, the only command whose array holds command replies, cannot run in a script.
  return reply instanceof ProtocolReply ? reply.resp2 : (reply as Reply);
}

/**
 * Any value a fake command may reply with.
 *
 * @example
 * ```ts
 * const reply: Reply = ["1-0", ["field", "value"]];
 * ```
 */
export type Reply = string | number | null | StatusReply | Error | Reply[];

/**
 * What a command handler may reply with: a {@link Reply}, or a {@link ProtocolReply} at the top
 * (EXEC's items are command replies too). Scripts only ever see {@link Reply}.
 *
 * @example
 * ```ts
 * const reply: CommandReply = new ProtocolReply([["s", []]], ["s", []]);
 * ```
 */
export type CommandReply = Reply | ProtocolReply | CommandReply[];
