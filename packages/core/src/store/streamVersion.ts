import { runFunction } from "../scripting/runFunction.js";
import { coreFunctionLibrary } from "./coreFunctionLibrary.js";
import { corruptIndex } from "./readAggregatePage.js";
import type { StoreContext } from "./storeContext.js";

/**
 * The version and existence of a stream, from its index (one read-only script call): what
 * `store.version` and `store.exists` answer.
 *
 * @example
 * const { version, exists } = await streamVersion(context, "account-1");
 */
export async function streamVersion(
  context: StoreContext,
  streamName: string,
): Promise<{ version: number; exists: boolean }> {
  const location = await context.locator.locate(streamName);
  const reply = (await runFunction(
    context.redis,
    coreFunctionLibrary,
    coreFunctionLibrary.functions.version,
    [location.indexKey],
    [],
  )) as unknown[];
  if (reply[0] === "corrupt") throw corruptIndex(streamName, location.indexKey, reply[1]);
  return { version: Number(reply[0]), exists: Number(reply[1]) === 1 };
}
