import type { Cluster, Redis } from "ioredis";
import { RedisOutOfMemoryError } from "../errors/index.js";
import { functionCall, isFunctionNotFound, loadFunctionLibrary } from "../scripting/runFunction.js";
import type { AppendDurability } from "./appendTypes.js";
import { coreFunctionLibrary } from "./coreFunctionLibrary.js";

const APPEND = coreFunctionLibrary.functions.append;

// Cluster replies that mean "not executed here": the durable append resends after a slot refresh,
// as ioredis does for single commands (its `maxRedirections` default is 16).
const NOT_EXECUTED = /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN) /;
const MAX_REDIRECTIONS = 16;
const REDIRECTION_DELAY_MS = 100;

/** The append function's reply and the number of replicas WAIT counted. */
export interface WaitedAppendReply {
  reply: unknown[];
  acknowledged: number;
}

/**
 * Turns Redis's refusals that have a precise meaning for an append into typed errors; anything
 * else is rethrown as it is. The script carries `#!lua` (no allow-oom), so an OOM refusal means
 * Redis ran none of it.
 *
 * @example
 * try { reply = await runFunction(...); } catch (error) { typedAppendError(error); }
 */
export function typedAppendError(error: unknown): never {
  if (error instanceof Error && error.message.startsWith("OOM ")) {
    throw new RedisOutOfMemoryError({ cause: error });
  }
  throw error;
}

/**
 * Runs the append function (keys and arguments as it takes them) then WAIT, for an append with
 * `durability`. WAIT counts the writes of the connection it is sent on. One pipeline keeps the
 * script and WAIT on one connection; on a Cluster, ioredis sends a pipeline to the node of its
 * keyed command, so WAIT reaches the very primary that ran the append (issue 6).
 *
 * @example
 * const { reply, acknowledged } = await appendAndWait(redis, [indexKey, logKey], args, { replicas: 1, timeoutMs: 500 });
 */
export async function appendAndWait(
  redis: Redis | Cluster,
  scriptKeys: string[],
  args: (string | number)[],
  durability: AppendDurability,
): Promise<WaitedAppendReply> {
  let replies: [Error | null, unknown][] | null;
  const [command, functionArgs] = functionCall(APPEND, scriptKeys, args);
  let loaded = false;
  for (let redirections = 0; ; redirections++) {
    replies = await redis
      .pipeline()
      .call(command, functionArgs)
      .call("WAIT", durability.replicas, durability.timeoutMs)
      .exec();
    const error = replies?.[0]?.[0];
    // The library is not on this server yet: load it and send the pipeline again (Redis
    // ran nothing of the append, and a WAIT alone changes nothing).
    if (isFunctionNotFound(error) && !loaded) {
      await loadFunctionLibrary(redis, coreFunctionLibrary);
      loaded = true;
      continue;
    }
    // ioredis re-routes a Cluster pipeline only when every command in it was redirected,
    // never this one (the keyless WAIT runs): after a failover or resharding, follow
    // MOVED/ASK/TRYAGAIN/CLUSTERDOWN ourselves. Redis executed nothing then: safe to resend.
    if (!error || !NOT_EXECUTED.test(error.message) || redirections >= MAX_REDIRECTIONS) break;
    (redis as { refreshSlotsCache?: () => void }).refreshSlotsCache?.();
    await new Promise((resolve) => setTimeout(resolve, REDIRECTION_DELAY_MS));
  }
  const [scriptError, scriptReply] = replies?.[0] ?? [new Error("no reply"), null];
  if (scriptError) typedAppendError(scriptError);
  const [waitError, waitReply] = replies?.[1] ?? [new Error("no reply"), null];
  if (waitError) throw waitError;
  return { reply: scriptReply as unknown[], acknowledged: Number(waitReply) };
}
