import { BlockedReaders } from "./BlockedReaders.js";
import { isAscii } from "./byteString.js";
import type {
  BlockRequest,
  CommandContext,
  CommandServer,
  CommandSpec,
  CommandTable,
  ConnectionState,
} from "./CommandContext.js";
import { type FoundCommand, lookupCommand, validateCommand } from "./commandLookup.js";
import { hashCommands } from "./commands/hashCommands.js";
import { keyCommands } from "./commands/keyCommands.js";
import { serverCommands } from "./commands/serverCommands.js";
import { setCommands } from "./commands/setCommands.js";
import { sortedSetCommands } from "./commands/sortedSetCommands.js";
import { streamCommands } from "./commands/streamCommands.js";
import { stringCommands } from "./commands/stringCommands.js";
import { type FakeClock, systemClock } from "./createManualClock.js";
import { Database, type KeyspaceListener } from "./Database.js";
import { FunctionRegistry } from "./FunctionRegistry.js";
import {
  arityError,
  type CommandReply,
  ERR_EXECABORT,
  OK,
  QUEUED,
  type Reply,
  replyError,
} from "./replyError.js";
import { ScriptCache } from "./ScriptCache.js";
import type { ScriptTwin } from "./scriptTwins/ScriptTwin.js";
import { DATABASE_COUNT, defaultConfig } from "./serverConfig.js";
import { renderServerInfo } from "./serverInfo.js";
import {
  functionCommand,
  runFunction,
  runScript,
  scriptCommand,
  scriptingCommands,
} from "./serverScripting.js";
import { WatchedKeys } from "./WatchedKeys.js";

/**
 * Receives the reply of one command (an `Error` for error replies).
 *
 * @example
 * ```ts
 * const done: ReplyCallback = (reply) => console.log(reply);
 * ```
 */
export type ReplyCallback = (reply: CommandReply) => void;

/**
 * A connection as the server sees it: state plus what it is blocked on.
 *
 * @example
 * ```ts
 * const connection: ServerConnection = server.connect();
 * ```
 */
export interface ServerConnection extends ConnectionState {
  blocked: { request: BlockRequest; done: ReplyCallback; timer?: NodeJS.Timeout } | undefined;
  /** Commands sent while blocked: Redis reads them only once the connection is unblocked. */
  readonly backlog: { argv: string[]; done: ReplyCallback }[];
  closed: boolean;
}

/** Commands a MULTI executes immediately instead of queueing (`processCommand`). */
const NOT_QUEUED = new Set(["exec", "discard", "multi", "watch", "quit", "reset"]);

/**
 * The shared state behind every client of one fake: databases, the clock, WATCHes, blocked
 * readers, the Lua engine, and the command dispatch. Single-threaded like Redis: a command (or a
 * MULTI/EXEC, or a script) runs to completion before anything else, and clients blocked on keys
 * are served afterwards, in the order they blocked (`handleClientsBlockedOnKeys`).
 *
 * @example
 * ```ts
 * const server = new FakeRedisServer(systemClock);
 * const connection = server.connect();
 * server.submit(connection, ["SET", "k", "v"], console.log);
 * ```
 */
export class FakeRedisServer implements CommandServer, KeyspaceListener {
  readonly databaseCount = DATABASE_COUNT;
  private databases: Database[];
  private readonly commands: CommandTable;
  private readonly configValues = defaultConfig();
  private nextConnectionId = 1;
  private readonly connections = new Set<ServerConnection>();
  private readonly watched = new WatchedKeys();
  private readonly readers = new BlockedReaders(this);
  /** Cached scripts (SCRIPT LOAD/EXISTS, EVALSHA), run as their twin or in Lua. */
  readonly scripts: ScriptCache;
  /** Function libraries (FUNCTION LOAD, FCALL), their scripts run as their twin or in Lua. */
  readonly functions: FunctionRegistry;
  private readonly startedAt: number;
  private deferred: (() => void)[] = [];
  private repliesThisTurn = 0;
  private turnScheduled = false;
  private commandsProcessed = 0;
  /**
   * Whether a byte above 127 may be stored or echoed: set once an argument carrying one arrives
   * (from a client or a script). Until then every reply is ASCII, so clients skip decoding replies.
   */
  nonAsciiSeen = false;

  /**
   * @param twins SHA1 of a Lua source → the native twin run in its place (see `ScriptTwin`);
   *   empty (the default) runs every script in Lua.
   */
  constructor(
    readonly clock: FakeClock = systemClock,
    twins: ReadonlyMap<string, ScriptTwin> = new Map(),
  ) {
    this.scripts = new ScriptCache(twins);
    this.functions = new FunctionRegistry(twins);
    this.databases = Array.from(
      { length: DATABASE_COUNT },
      (_, index) => new Database(index, this),
    );
    this.commands = {
      ...stringCommands,
      ...hashCommands,
      ...setCommands,
      ...sortedSetCommands,
      ...keyCommands,
      ...serverCommands,
      ...streamCommands,
      ...scriptingCommands(this),
    };
    this.startedAt = clock.now();
  }

  database(index: number): Database {
    return this.databases[index] as Database;
  }

  /** Replaces all databases (snapshot restore). */
  replaceDatabases(fill: (database: Database) => void): void {
    this.databases = Array.from(
      { length: DATABASE_COUNT },
      (_, index) => new Database(index, this),
    );
    for (const database of this.databases) fill(database);
  }

  config(): Map<string, string> {
    return this.configValues;
  }

  /** Raises {@link nonAsciiSeen} if an argument has a byte above 127. */
  noteArguments(argv: readonly string[]): void {
    for (const argument of argv) {
      if (!isAscii(argument)) {
        this.nonAsciiSeen = true;
        return;
      }
    }
  }

  /** Opens a connection (what a TCP accept is to Redis). */
  connect(): ServerConnection {
    const connection: ServerConnection = {
      id: this.nextConnectionId++,
      name: null,
      db: 0,
      multi: null,
      multiFailed: false,
      watched: new Set(),
      watchDirty: false,
      blocked: undefined,
      backlog: [],
      closed: false,
    };
    this.connections.add(connection);
    return connection;
  }

  /** Closes a connection; a blocked call and queued calls get `error`. */
  disconnect(connection: ServerConnection, error: () => Error): void {
    if (connection.closed) return;
    connection.closed = true;
    this.unwatch(connection);
    const blocked = connection.blocked;
    if (blocked !== undefined) {
      this.readers.removeBlocked(connection);
      blocked.done(error());
    }
    for (const item of connection.backlog.splice(0)) item.done(error());
    this.connections.delete(connection);
  }

  /** Runs (or, if the connection is blocked, queues) one command; `done` gets the reply. */
  submit(connection: ServerConnection, argv: string[], done: ReplyCallback): void {
    if (connection.blocked !== undefined || connection.backlog.length > 0) {
      connection.backlog.push({ argv, done });
      return;
    }
    this.runTopLevel(connection, argv, done);
    this.readers.handleReadyKeys();
  }

  runTopLevel(connection: ServerConnection, argv: string[], done: ReplyCallback): void {
    this.commandsProcessed++;
    const result = this.process(connection, argv);
    if (result !== null && typeof result === "object" && "kind" in result) {
      this.readers.block(connection, result, done);
    } else {
      this.deliver(done, result);
    }
  }

  /**
   * Hands a reply over. Replies are normally delivered at once (the promise then settles in a
   * microtask); after many in one macrotask they are deferred to `setImmediate`, so a loop of
   * awaited non-blocking reads cannot starve timers, as it cannot against a real socket.
   */
  deliver(done: ReplyCallback, reply: CommandReply, later = false): void {
    this.scheduleTurn();
    this.repliesThisTurn++;
    if (later || this.deferred.length > 0 || this.repliesThisTurn > 500) {
      this.deferred.push(() => done(reply));
      return;
    }
    done(reply);
  }

  private scheduleTurn(): void {
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    setImmediate(() => {
      this.turnScheduled = false;
      this.repliesThisTurn = 0;
      const pending = this.deferred;
      this.deferred = [];
      for (const item of pending) item();
    });
  }

  context(
    connection: ConnectionState,
    denyBlocking: boolean,
    inScript: boolean,
    now?: number,
  ): CommandContext {
    return {
      db: this.database(connection.db),
      connection,
      clock: this.clock,
      now: now ?? this.clock.now(),
      denyBlocking,
      inScript,
      server: this,
    };
  }

  /** Transaction handling around {@link execute} (`processCommand` + `src/multi.c`). */
  private process(connection: ServerConnection, argv: string[]): CommandReply | BlockRequest {
    const name = (argv[0] ?? "").toLowerCase();
    if (connection.multi !== null && !NOT_QUEUED.has(name)) {
      const problem = this.validate(argv, undefined);
      if (problem !== undefined) {
        connection.multiFailed = true;
        return problem;
      }
      connection.multi.push(argv);
      return QUEUED;
    }
    switch (name) {
      case "multi":
        if (argv.length !== 1) return replyError(arityError("multi"));
        if (connection.multi !== null) return replyError("ERR MULTI calls can not be nested");
        connection.multi = [];
        connection.multiFailed = false;
        return OK;
      case "discard":
        if (argv.length !== 1) return replyError(arityError("discard"));
        if (connection.multi === null) return replyError("ERR DISCARD without MULTI");
        connection.multi = null;
        this.unwatch(connection);
        return OK;
      case "exec":
        if (argv.length !== 1) return replyError(arityError("exec"));
        return this.exec(connection);
      case "watch":
        if (argv.length < 2) return replyError(arityError("watch"));
        if (connection.multi !== null) return replyError("ERR WATCH inside MULTI is not allowed");
        this.watch(this.context(connection, false, false), argv.slice(1));
        return OK;
      case "unwatch":
        if (argv.length !== 1) return replyError(arityError("unwatch"));
        this.unwatch(connection);
        return OK;
      default:
        return this.execute(this.context(connection, false, false), argv);
    }
  }

  private exec(connection: ServerConnection): CommandReply {
    const queued = connection.multi;
    if (queued === null) return replyError("ERR EXEC without MULTI");
    connection.multi = null;
    if (connection.multiFailed) {
      connection.multiFailed = false;
      this.unwatch(connection);
      return replyError(ERR_EXECABORT);
    }
    if (connection.watchDirty) {
      this.unwatch(connection);
      return null;
    }
    this.unwatch(connection);
    const now = this.clock.now();
    const replies: CommandReply[] = [];
    for (const argv of queued) {
      const result = this.execute(this.context(connection, true, false, now), argv);
      replies.push(result as CommandReply);
    }
    return replies;
  }

  /** Lookup + arity checks; returns the error reply or undefined. */
  validate(argv: readonly string[], fromScript: boolean | undefined): Error | undefined {
    return validateCommand(this.commands, argv, fromScript);
  }

  lookup(argv: readonly string[]): FoundCommand | string {
    return lookupCommand(this.commands, argv);
  }

  /** Runs one command; errors come back as `Error` values, never thrown. */
  execute(ctx: CommandContext, argv: readonly string[]): CommandReply | BlockRequest {
    const problem = this.validate(argv, undefined);
    if (problem !== undefined) return problem;
    const found = this.lookup(argv) as { handlerSpec: CommandSpec };
    try {
      return (found.handlerSpec.handler as NonNullable<CommandSpec["handler"]>)(ctx, argv);
    } catch (error) {
      if (error instanceof Error && error.name === "ReplyError") return error;
      throw error;
    }
  }

  runScript(
    ctx: CommandContext,
    argv: readonly string[],
    bySha: boolean,
    readOnly: boolean,
  ): Reply {
    return runScript(this, ctx, argv, bySha, readOnly);
  }

  /** FCALL / FCALL_RO (`fcallCommandGeneric` in Redis 7.0's `src/functions.c`). */
  runFunction(ctx: CommandContext, argv: readonly string[], readOnly: boolean): Reply {
    return runFunction(this, ctx, argv, readOnly);
  }

  scriptCommand(ctx: CommandContext, argv: readonly string[]): Reply {
    return scriptCommand(this, ctx, argv);
  }

  /** FUNCTION LOAD / LIST / DELETE / FLUSH (Redis 7.0 `src/functions.c`). */
  functionCommand(ctx: CommandContext, argv: readonly string[]): Reply {
    return functionCommand(this, ctx, argv);
  }

  watch(ctx: CommandContext, keys: readonly string[]): void {
    this.watched.watch(ctx.connection, keys);
  }

  unwatch(connection: ConnectionState): void {
    this.watched.unwatch(connection);
  }

  keyModified(db: Database, key: string): void {
    this.watched.keyModified(db.index, key);
  }

  keyReady(db: Database, key: string): void {
    this.readers.keyReady(db, key);
  }

  flushAll(): void {
    for (const database of this.databases) database.flush();
  }

  info(section: string | undefined, ctx: CommandContext): string {
    return renderServerInfo(section, ctx, {
      clock: this.clock,
      startedAt: this.startedAt,
      connections: this.connections,
      config: this.configValues,
      commandsProcessed: this.commandsProcessed,
      databases: this.databases,
    });
  }
}
