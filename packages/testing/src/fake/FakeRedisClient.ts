import { type Command, Redis, type RedisOptions } from "ioredis";
import type { ReplyMappingFromOptions } from "ioredis/built/types.js";
import {
  type ByteString,
  byteStringToBuffer,
  byteStringToUtf8,
  isAscii,
  utf8ToByteString,
} from "./byteString.js";
import type { FakeRedisServer, ServerConnection } from "./FakeRedisServer.js";
import { type CommandReply, ProtocolReply, StatusReply } from "./replyError.js";

/** ioredis's `CONNECTION_CLOSED_ERROR_MSG`, the message of calls on or after a closed connection. */
const CONNECTION_CLOSED = "Connection is closed.";

/** Commands whose replies may nest status replies (EXEC arrays, script and function tables). */
const DEEP_STATUS = new Set([
  "exec",
  "eval",
  "evalsha",
  "eval_ro",
  "evalsha_ro",
  "fcall",
  "fcall_ro",
]);

/**
 * The reply contexts of ioredis 6's connections: RESP3 (`protocol: 3`, the default) decoded with
 * the `legacy` mapping (maps as flat key/value arrays), or RESP2 (`protocol: 2`, what ioredis 5
 * and `redis-cli` speak). The fake replies in the shapes of the client's protocol (see
 * `ProtocolReply`), and ioredis's reply transformers reshape them as on a real connection
 * (`xread` wraps the RESP3 map into [key, entries] pairs, `zrange` flattens WITHSCORES pairs...):
 * so `call("XREAD", ...)` gets `[key, entries]` in RESP3 and `[[key, entries]]` in RESP2, as
 * from a real server.
 */
const REPLY_CONTEXTS = {
  2: { protocol: 2, replyMapping: "legacy" },
  3: { protocol: 3, replyMapping: "legacy" },
} as const;

function toClientValue(reply: CommandReply, deep: boolean, protocol: 2 | 3): unknown {
  if (reply instanceof StatusReply) return reply.value;
  if (reply instanceof ProtocolReply) return protocol === 2 ? reply.resp2 : reply.resp3;
  if (deep && Array.isArray(reply)) return reply.map((item) => toClientValue(item, true, protocol));
  return reply;
}

/** Byte strings → Buffers, for `*Buffer` commands (`replyEncoding: null`). */
function toBuffers(value: unknown): unknown {
  if (typeof value === "string") return byteStringToBuffer(value);
  if (Array.isArray(value)) return value.map(toBuffers);
  if (value instanceof Error) decodeErrorMessage(value);
  return value;
}

/** Byte strings → UTF-8 decoded text, as ioredis decodes replies; ASCII replies come back as is. */
function toText(value: unknown): unknown {
  if (typeof value === "string") return byteStringToUtf8(value);
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let index = 0; index < value.length; index++) {
      const item = value[index];
      const text = toText(item);
      if (text !== item) {
        copy ??= value.slice();
        copy[index] = text;
      }
    }
    return copy ?? value;
  }
  if (value instanceof Error) decodeErrorMessage(value);
  return value;
}

function decodeErrorMessage(error: Error): void {
  if (!isAscii(error.message)) error.message = byteStringToUtf8(error.message);
}

/**
 * A command argument as the byte string Redis receives: strings UTF-8 encoded, Buffers byte for
 * byte, anything else through `String()` (numbers).
 */
function toArgument(value: unknown): ByteString {
  return typeof value === "string"
    ? utf8ToByteString(value)
    : Buffer.isBuffer(value)
      ? value.toString("latin1")
      : String(value);
}

interface CommandInternals {
  name: string;
  args: unknown[];
  replyEncoding?: string | null;
  resolve(value: unknown): void;
  reject(error: Error): void;
  promise: Promise<unknown>;
  setReplyContext(context: { protocol: number; replyMapping: string }): void;
  toWritable(socket: object): unknown;
}

interface RedisInternals {
  setStatus(status: string, arg?: unknown): void;
  manuallyClosing: boolean;
}

/**
 * An ioredis `Redis` whose commands run in a {@link FakeRedisServer} instead of on a socket.
 *
 * Everything above the wire is ioredis's own code: argument flattening, `keyPrefix`, reply
 * transformers (hgetall → object...), `pipeline()`, `multi()`, `defineCommand` with its
 * EVALSHA-then-EVAL fallback. Only `sendCommand` and the connection lifecycle are replaced, and
 * replies are fed in with ioredis 6's default context (RESP3, `legacy` mapping), in the shapes a
 * real RESP3 connection decodes to: `call("XREAD", ...)` gets the flat map, `xread()` the pairs.
 *
 * @example
 * ```ts
 * const client = new FakeRedisClient(new FakeRedisServer(), {});
 * await client.set("k", "v");
 * ```
 */
export class FakeRedisClient extends Redis {
  /** The shared server (same for every `duplicate()`). */
  readonly fakeServer: FakeRedisServer;
  private connection: ServerConnection | undefined;
  /** Per-connection token: ioredis's Script tracks "already loaded" per socket object. */
  private socketToken: object = {};

  constructor(server: FakeRedisServer, options: RedisOptions) {
    super({ ...options, replyMapping: "legacy", lazyConnect: true, enableAutoPipelining: false });
    this.fakeServer = server;
    this.options.lazyConnect = options.lazyConnect ?? false;
    if (!options.lazyConnect) this.openConnection();
  }

  private get internals(): RedisInternals {
    return this as unknown as RedisInternals;
  }

  private openConnection(): void {
    this.connection = this.fakeServer.connect();
    this.socketToken = {};
    const connection = this.connection;
    if (typeof this.options.db === "number" && this.options.db !== 0) {
      connection.db = this.options.db;
    }
    if (this.options.connectionName) {
      connection.name = utf8ToByteString(this.options.connectionName);
    }
    this.internals.setStatus("connecting");
    process.nextTick(() => {
      if (this.connection !== connection || connection.closed) return;
      this.internals.setStatus("connect");
      this.internals.setStatus("ready");
    });
  }

  override connect(callback?: (error?: Error | null) => void): Promise<void> {
    const promise = new Promise<void>((resolve, reject) => {
      if (this.status === "connecting" || this.status === "connect" || this.status === "ready") {
        reject(new Error("Redis is already connecting/connected"));
        return;
      }
      this.openConnection();
      this.once("ready", () => resolve());
    });
    if (callback) promise.then(() => callback(null), callback);
    return promise;
  }

  override disconnect(reconnect = false): void {
    this.closeConnection();
    if (reconnect) this.openConnection();
  }

  private closeConnection(): void {
    const connection = this.connection;
    this.connection = undefined;
    if (connection === undefined) {
      if (this.status === "wait") {
        this.internals.setStatus("close");
        this.internals.setStatus("end");
      }
      return;
    }
    this.fakeServer.disconnect(connection, () => new Error(CONNECTION_CLOSED));
    this.internals.setStatus("close");
    this.internals.setStatus("end");
  }

  /** Another connection to the same fake server, with the same options plus `override`. */
  override duplicate<Override extends Partial<RedisOptions> | undefined = undefined>(
    override?: Override,
  ): Redis<ReplyMappingFromOptions<"legacy", Override>> {
    return this.createDuplicate({ ...this.options, ...(override ?? {}) }) as unknown as Redis<
      ReplyMappingFromOptions<"legacy", Override>
    >;
  }

  /** Builds the client `duplicate()` returns; subclasses return their own kind. */
  protected createDuplicate(options: RedisOptions): FakeRedisClient {
    return new FakeRedisClient(this.fakeServer, options);
  }

  override sendCommand(command: Command): Promise<unknown> {
    const internal = command as unknown as CommandInternals;
    // The protocol the client asked for (ioredis's `protocol` option, default 3), as a real
    // connection negotiates it with HELLO.
    const protocol = this.options.protocol === 2 ? 2 : 3;
    internal.setReplyContext(REPLY_CONTEXTS[protocol]);
    if (this.status === "wait" && this.connection === undefined) this.openConnection();
    const connection = this.connection;
    if (connection === undefined || connection.closed || this.status === "end") {
      internal.reject(new Error(CONNECTION_CLOSED));
      return internal.promise;
    }
    // defineCommand scripts rewrite EVALSHA into EVAL (first use per socket) in toWritable().
    if (Object.getPrototypeOf(command).constructor.name === "CustomScriptCommand") {
      internal.toWritable(this.socketToken);
    }
    const name = internal.name.toLowerCase();
    if (name === "quit") {
      this.internals.manuallyClosing = true;
      internal.resolve("OK");
      queueMicrotask(() => this.closeConnection());
      return internal.promise;
    }
    const server = this.fakeServer;
    const argv = [toArgument(internal.name)];
    for (const argument of internal.args) argv.push(toArgument(argument));
    if (!server.nonAsciiSeen) server.noteArguments(argv);
    const deep = DEEP_STATUS.has(name);
    const buffers = internal.replyEncoding === null;
    server.submit(connection, argv, (reply) => {
      // Until a byte above 127 has entered the server (or a script, which may make bytes, ran),
      // every reply is ASCII and needs no decoding.
      const decode = server.nonAsciiSeen || deep;
      if (reply instanceof Error) {
        (reply as Error & { command?: unknown }).command = {
          name: internal.name,
          args: internal.args,
        };
        if (decode) decodeErrorMessage(reply);
        internal.reject(reply);
        return;
      }
      const value = toClientValue(reply, deep, protocol);
      internal.resolve(buffers ? toBuffers(value) : decode ? toText(value) : value);
    });
    return internal.promise;
  }
}
