import type { FakeClock } from "./createManualClock.js";
import type { Database, RedisValue } from "./Database.js";
import {
  type CommandReply,
  ERR_NOT_INTEGER,
  ERR_WRONGTYPE,
  type Reply,
  replyError,
} from "./replyError.js";
import type { StreamId } from "./StreamId.js";

/**
 * What a blocked XREAD/XREADGROUP waits for (Redis's `client->bpop`).
 *
 * @example
 * ```ts
 * const request: BlockRequest = { kind: "block", keys: ["s"], ids: [0n], timeoutMs: 0, count: 10 };
 * ```
 */
export interface BlockRequest {
  readonly kind: "block";
  readonly keys: readonly string[];
  /** Per key: serve when the stream's last id is greater than this (`>` is re-read from the group). */
  readonly ids: StreamId[];
  /** Milliseconds; 0 = forever. */
  readonly timeoutMs: number;
  readonly count: number;
  readonly group?: { readonly name: string; readonly consumer: string; readonly noack: boolean };
}

/**
 * The server-side state of one connection.
 *
 * @example
 * ```ts
 * if (ctx.connection.multi !== null) ctx.connection.multi.push(argv);
 * ```
 */
export interface ConnectionState {
  readonly id: number;
  name: string | null;
  db: number;
  /** Queued MULTI commands, or null outside MULTI. */
  multi: string[][] | null;
  multiFailed: boolean;
  readonly watched: Set<string>;
  watchDirty: boolean;
}

/**
 * Everything a command handler may touch while it runs.
 *
 * @example
 * ```ts
 * const value = ctx.db.get("k", ctx.now);
 * ```
 */
export interface CommandContext {
  readonly db: Database;
  readonly connection: ConnectionState;
  readonly clock: FakeClock;
  /** Time fixed for the whole command (and for a whole script, like `scriptTimeSnapshot`). */
  readonly now: number;
  /** Inside MULTI/EXEC or a script: blocking commands act as if they timed out at once. */
  readonly denyBlocking: boolean;
  readonly inScript: boolean;
  readonly server: CommandServer;
}

/**
 * The parts of the server commands call back into.
 *
 * @example
 * ```ts
 * ctx.server.flushAll();
 * ```
 */
export interface CommandServer {
  database(index: number): Database;
  readonly databaseCount: number;
  flushAll(): void;
  info(section: string | undefined, ctx: CommandContext): string;
  config(): Map<string, string>;
  runScript(ctx: CommandContext, argv: readonly string[], bySha: boolean, readOnly: boolean): Reply;
  scriptCommand(ctx: CommandContext, argv: readonly string[]): Reply;
  watch(ctx: CommandContext, keys: readonly string[]): void;
  unwatch(connection: ConnectionState): void;
}

/**
 * A command implementation. Returning a {@link BlockRequest} parks the client.
 *
 * @example
 * ```ts
 * const echo: CommandHandler = (_ctx, argv) => argv[1] ?? null;
 * ```
 */
export type CommandHandler = (
  ctx: CommandContext,
  argv: readonly string[],
) => CommandReply | BlockRequest;

/**
 * One command of the fake's command table.
 *
 * @example
 * ```ts
 * const spec: CommandSpec = { arity: 2, handler: (_ctx, argv) => argv[1] ?? null };
 * ```
 */
export interface CommandSpec {
  /** Redis arity: positive = exact argc, negative = at least -arity (argc includes the name). */
  readonly arity: number;
  readonly handler?: CommandHandler;
  /** Writes data: refused in read-only scripts. */
  readonly write?: boolean;
  /** Refused inside scripts (`CMD_NOSCRIPT`). */
  readonly noscript?: boolean;
  /** Container commands (XGROUP, XINFO, CONFIG...): subcommand name (lower case) → spec. */
  readonly subcommands?: Readonly<Record<string, CommandSpec>>;
}

/**
 * A command table: lower-case name → spec.
 *
 * @example
 * ```ts
 * const table: CommandTable = { echo: { arity: 2, handler: (_ctx, argv) => argv[1] ?? null } };
 * ```
 */
export type CommandTable = Readonly<Record<string, CommandSpec>>;

/**
 * Reads a key expecting a type; throws WRONGTYPE like Redis's `checkType`.
 *
 * @example
 * ```ts
 * const hash = lookupTyped(ctx, "h", "hash");
 * ```
 */
export function lookupTyped<TypeName extends RedisValue["type"]>(
  ctx: CommandContext,
  key: string,
  type: TypeName,
): ValueOfType<TypeName> | undefined {
  const entry = ctx.db.get(key, ctx.now);
  if (entry === undefined) return undefined;
  if (entry.type !== type) throw replyError(ERR_WRONGTYPE);
  return entry.value as ValueOfType<TypeName>;
}

/**
 * The JS value stored for a Redis type name.
 *
 * @example
 * ```ts
 * const hash: ValueOfType<"hash"> = new Map();
 * ```
 */
export type ValueOfType<TypeName extends RedisValue["type"]> = {
  string: string;
  hash: Map<string, string>;
  set: Set<string>;
  zset: Map<string, number>;
  list: string[];
  stream: import("./RedisStream.js").RedisStream;
}[TypeName];

const INTEGER = /^-?[1-9][0-9]*$|^0$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Parses a signed 64-bit integer like Redis's `string2ll` (no spaces, no `+`, no leading zeros),
 * as a bigint. Returns undefined when Redis would reject it.
 *
 * @example
 * ```ts
 * parseInt64("-12"); // -12n
 * ```
 */
export function parseInt64(text: string): bigint | undefined {
  if (text.length === 0 || text.length > 20 || !INTEGER.test(text)) return undefined;
  const value = BigInt(text);
  return value < INT64_MIN || value > INT64_MAX ? undefined : value;
}

/**
 * `getLongLongFromObjectOrReply`: a safe JS integer, or Redis's "not an integer" error (or
 * `message` when the command has its own).
 *
 * @example
 * ```ts
 * const count = parseIntegerArgument(argv[2] ?? "", "ERR COUNT must be > 0");
 * ```
 */
export function parseIntegerArgument(text: string, message: string = ERR_NOT_INTEGER): number {
  const value = parseInt64(text);
  if (value === undefined) throw replyError(message);
  return Number(value);
}

/**
 * Case-insensitive equality for option names.
 *
 * @example
 * ```ts
 * isOption("count", "COUNT"); // true
 * ```
 */
export function isOption(argument: string | undefined, name: string): boolean {
  return (
    argument !== undefined && argument.length === name.length && argument.toUpperCase() === name
  );
}

/**
 * Ends a write to a hash, set or sorted set: deletes the key when the write left it empty (Redis
 * keeps no empty collection), otherwise marks it modified for WATCH.
 *
 * @example
 * ```ts
 * if (removed > 0) deleteIfEmpty(ctx, key, hash.size);
 * ```
 */
export function deleteIfEmpty(ctx: CommandContext, key: string, size: number): void {
  if (size === 0) ctx.db.delete(key, ctx.now);
  else ctx.db.touch(key);
}
