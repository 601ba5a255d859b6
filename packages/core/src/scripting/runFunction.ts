import type { Cluster, Redis } from "ioredis";
import { assertRedisClient } from "../connection/assertRedisClient.js";
import { FunctionsNotLoadedError } from "../errors/functionsNotLoadedError.js";
import type { FunctionLibrary, LibraryFunction } from "./functionLibrary.js";

/** A client the toolkit's functions run on: ioredis `Redis` or `Cluster`, or the fake. */
export type FunctionClient = Redis | Cluster;

/** What {@link installFunctionLibraries} did with one library on one server. */
export interface FunctionLibraryInstall {
  readonly library: string;
  /** The server (`host:port`), or `"server"` for a client that does not say. */
  readonly server: string;
  readonly outcome: "loaded" | "already loaded";
}

/**
 * The command (`FCALL`, or `FCALL_RO` for a read-only function) and the arguments that run `fn`,
 * for a client's or a pipeline's `call(command, args)`. The arguments go as one array, which
 * ioredis flattens: spread onto the call stack, a large batch's arguments overflowed it at about
 * 120,000 (a RangeError, issue 14).
 *
 * @example
 * const [command, args] = functionCall(CORE_FUNCTIONS.functions.version, [indexKey], []);
 * await client.call(command, args);
 */
export function functionCall(
  fn: LibraryFunction,
  keys: readonly string[],
  args: readonly (string | number)[],
): [string, (string | number)[]] {
  const argv: (string | number)[] = [fn.name, keys.length];
  for (const key of keys) argv.push(key);
  for (const arg of args) argv.push(arg);
  return [fn.readOnly ? "FCALL_RO" : "FCALL", argv];
}

/**
 * Whether a reply error says the function is not on the server: the library was never loaded
 * there, or was removed (`FUNCTION FLUSH`, a restart without persistence, a new Cluster shard).
 *
 * @example
 * if (isFunctionNotFound(error)) await loadFunctionLibrary(redis, library);
 */
export function isFunctionNotFound(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith("ERR Function not found");
}

/**
 * Runs one of the toolkit's functions. When the server does not have it, loads its library
 * (on every primary of a Cluster) and runs it again: a deployment without ACLs needs no setup
 * step. A user that may not load it gets {@link FunctionsNotLoadedError}.
 *
 * @example
 * const reply = await runFunction(redis, CORE_FUNCTIONS, CORE_FUNCTIONS.functions.version, [key], []);
 */
export async function runFunction(
  redis: FunctionClient,
  library: FunctionLibrary,
  fn: LibraryFunction,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  const [command, argv] = functionCall(fn, keys, args);
  try {
    return await redis.call(command, argv);
  } catch (error) {
    if (!isFunctionNotFound(error)) throw error;
    await loadFunctionLibrary(redis, library);
    return redis.call(command, argv);
  }
}

// One load at a time per client and library: 64 appends that all miss at start send one LOAD.
const loading = new WeakMap<object, Map<string, Promise<void>>>();

/**
 * Loads a library where it is missing (every primary of a Cluster), once per client at a time.
 * Throws {@link FunctionsNotLoadedError} when the server refuses (`NOPERM`: the user may not
 * load functions).
 *
 * @example
 * await loadFunctionLibrary(redis, CORE_FUNCTIONS);
 */
export function loadFunctionLibrary(
  redis: FunctionClient,
  library: FunctionLibrary,
): Promise<void> {
  let pending = loading.get(redis);
  if (pending === undefined) {
    pending = new Map();
    loading.set(redis, pending);
  }
  const inFlight = pending.get(library.name);
  if (inFlight !== undefined) return inFlight;
  const load = installFunctionLibraries(redis, [library]).then(
    () => undefined,
    (error: unknown) => {
      if (error instanceof Error && error.message.startsWith("NOPERM")) {
        throw new FunctionsNotLoadedError(library.name, { cause: error });
      }
      throw error;
    },
  );
  const settled = load.finally(() => pending.delete(library.name));
  pending.set(library.name, settled);
  return settled;
}

async function primariesOf(redis: FunctionClient): Promise<Redis[]> {
  const cluster = redis as Cluster & { isCluster?: boolean };
  if (cluster.isCluster !== true) return [redis as Redis];
  // A Cluster client knows its primaries once it has read the slots: a first command waits
  // for that.
  if (cluster.status !== "ready") await cluster.call("PING");
  return cluster.nodes("master");
}

function serverName(node: Redis): string {
  const options = (node as { options?: { host?: string; port?: number } }).options;
  return options?.host !== undefined ? `${options.host}:${options.port ?? 6379}` : "server";
}

/**
 * Loads the toolkit's Redis Functions libraries on a server, or on every primary of a Cluster:
 * the operator step for deployments whose application users may not load functions (see
 * `aclRuleFor`), also run by `streamstore functions install`. A library already there is left
 * as it is (its name carries its version: same name, same code). Needs a user allowed
 * `FUNCTION LOAD`.
 *
 * @example
 * await installFunctionLibraries(adminRedis, [coreFunctionLibrary, projectionsFunctionLibrary]);
 */
export async function installFunctionLibraries(
  redis: FunctionClient,
  libraries: readonly FunctionLibrary[],
): Promise<FunctionLibraryInstall[]> {
  assertRedisClient(redis);
  const installs: FunctionLibraryInstall[] = [];
  for (const node of await primariesOf(redis)) {
    for (const library of libraries) {
      let outcome: FunctionLibraryInstall["outcome"] = "loaded";
      try {
        await node.call("FUNCTION", "LOAD", library.code);
      } catch (error) {
        if (!(error instanceof Error && /^ERR Library '\w+' already exists/.test(error.message))) {
          throw error;
        }
        outcome = "already loaded";
      }
      installs.push({ library: library.name, server: serverName(node), outcome });
    }
  }
  return installs;
}
