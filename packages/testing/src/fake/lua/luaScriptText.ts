import { createHash } from "node:crypto";
import { type Reply, replyError } from "../replyError.js";

// Script text and error text, no Lua state needed: shebang flags, SHA1, Lua 5.1 messages.

/**
 * Lua 5.3 runtime errors name the culprit after the problem ("attempt to index a nil value
 * (local 't')"); Lua 5.1, which Redis runs, names it first ("attempt to index local 't' (a nil
 * value)"). Compile errors quote `<eof>` in 5.1. Script twins format their errors through it too,
 * so both runners produce one text.
 *
 * @example
 * ```ts
 * toLua51Message("attempt to index a nil value (local 't')"); // "attempt to index local 't' (a nil value)"
 * ```
 */
export function toLua51Message(message: string): string {
  return message
    .replace(
      /attempt to (index|call|perform arithmetic on|concatenate|compare) an? (\w+) value \((global|local|field|upvalue|method) '([^']*)'\)/g,
      "attempt to $1 $3 '$4' (a $2 value)",
    )
    .replace(/near <eof>/g, "near '<eof>'");
}

/**
 * How a script calls back into Redis: runs one command and returns its (RESP2) reply.
 *
 * @example
 * ```ts
 * const run: ScriptCommandRunner = (argv) => (argv[0] === "PING" ? "PONG" : null);
 * ```
 */
export type ScriptCommandRunner = (argv: string[]) => Reply;

/**
 * What a running script needs from the server.
 *
 * @example
 * ```ts
 * engine.run(sha, { sha, keys: ["k"], args: [], runCommand: () => null });
 * ```
 */
export interface ScriptCall {
  readonly sha: string;
  readonly keys: readonly string[];
  readonly args: readonly string[];
  readonly runCommand: ScriptCommandRunner;
  readonly log?: (level: number, message: string) => void;
}

/**
 * Script flags from a Redis 7 shebang (`#!lua flags=no-writes,allow-oom`).
 *
 * @example
 * ```ts
 * engine.flags(sha)?.noWrites;
 * ```
 */
export interface ScriptFlags {
  readonly noWrites: boolean;
  readonly shebang: boolean;
}

const SCRIPT_FLAG_NAMES = new Set([
  "no-writes",
  "allow-oom",
  "allow-stale",
  "no-cluster",
  "allow-cross-slot-keys",
]);

/**
 * Splits a Redis 7 shebang line off a script (`evalExtractShebangFlags` in Redis 7.0's
 * `src/eval.c`). The newline stays so that line numbers in errors match Redis. Exported for the
 * script cache, which needs a script's flags without building a Lua state (a twin never does).
 *
 * @example
 * ```ts
 * extractShebang("#!lua flags=no-writes\nreturn 1").flags.noWrites; // true
 * ```
 */
export function extractShebang(body: string): { code: string; flags: ScriptFlags } {
  if (!body.startsWith("#!")) return { code: body, flags: { noWrites: false, shebang: false } };
  const end = body.indexOf("\n");
  if (end === -1) throw replyError("ERR Invalid script shebang");
  const parts = body.slice(0, end).trim().split(/\s+/);
  if (parts[0] !== "#!lua") {
    throw replyError(`ERR Unexpected engine in script shebang: ${parts[0]}`);
  }
  let noWrites = false;
  for (const part of parts.slice(1)) {
    if (!part.startsWith("flags=")) throw replyError(`ERR Unknown lua shebang option: ${part}`);
    for (const flag of part.slice(6).split(",")) {
      if (flag === "") continue;
      if (!SCRIPT_FLAG_NAMES.has(flag)) {
        throw replyError(`ERR Unexpected flag in script shebang: ${flag}`);
      }
      if (flag === "no-writes") noWrites = true;
    }
  }
  return { code: body.slice(end), flags: { noWrites, shebang: true } };
}

/**
 * SHA1 hex digest, as EVALSHA, SCRIPT LOAD and `redis.sha1hex` use.
 *
 * @example
 * ```ts
 * sha1hex("return 1"); // "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"
 * ```
 */
export function sha1hex(text: string): string {
  // Scripts are byte strings: hash their bytes.
  return createHash("sha1").update(text, "latin1").digest("hex");
}

/**
 * The `err` text of the table `luaPushErrorBuff` builds (Redis 7.0 `src/script_lua.c`): a buffer
 * starting with `-` carries its own code (the first word); any other text gets the generic `ERR`
 * code; surrounding newlines go. Shared with script twins so an error reply reads the same in both.
 *
 * @example
 * ```ts
 * luaErrorText("-WRONGTYPE Operation against a key"); // "WRONGTYPE Operation against a key"
 * luaErrorText("oops"); // "ERR oops"
 * ```
 */
export function luaErrorText(buffer: string): string {
  let code = "ERR";
  let message = buffer;
  if (buffer.startsWith("-")) {
    const space = buffer.indexOf(" ");
    if (space === -1) {
      message = buffer.slice(1);
    } else {
      code = buffer.slice(1, space);
      message = buffer.slice(space + 1);
    }
  }
  message = message.replace(/^[\r\n]+|[\r\n]+$/g, "");
  return `${code} ${message}`;
}
