import { InvalidArgumentError } from "../errors/index.js";
import type { EventCatalog, EventOf } from "../events/defineEvents.js";
import type { RecordedEvent } from "../events/types.js";
import { parseStreamName } from "../keys/keyLayout.js";
import { checkPositiveInteger, checkVersionBound } from "./checkArguments.js";
import type { ReadOptions } from "./EventStore.js";
import { readAggregate } from "./readAggregate.js";
import type { StoreContext } from "./storeContext.js";

/**
 * `store.read` of a store from `getRedisEventStore`: the options are checked at the call (a bad
 * one throws there, not at the first `next()`), the stream is located and read, archive then
 * Redis, page by page, when iterated.
 *
 * @example
 * for await (const event of readStream(context, "account-1", { direction: "backward", limit: 10 })) console.log(event.version);
 */
export function readStream<Catalog extends EventCatalog>(
  context: StoreContext<Catalog>,
  streamName: string,
  readOptions: ReadOptions = {},
): AsyncIterable<RecordedEvent<EventOf<Catalog>>> {
  parseStreamName(streamName);
  const from = checkVersionBound("from", readOptions.from);
  const to = checkVersionBound("to", readOptions.to);
  const limit = readOptions.limit === undefined ? Number.POSITIVE_INFINITY : readOptions.limit;
  if (limit !== Number.POSITIVE_INFINITY && (!Number.isSafeInteger(limit) || limit < 0)) {
    throw new InvalidArgumentError("limit", `${String(limit)} must be an integer >= 0.`);
  }
  const pageSize =
    readOptions.pageSize === undefined
      ? context.readPageSize
      : checkPositiveInteger("pageSize", readOptions.pageSize, 100_000);
  const direction = readOptions.direction ?? "forward";
  if (direction !== "forward" && direction !== "backward") {
    throw new InvalidArgumentError(
      "direction",
      `${String(direction)} is not "forward" or "backward".`,
    );
  }
  return {
    [Symbol.asyncIterator](): AsyncIterator<RecordedEvent<EventOf<Catalog>>> {
      // Version 0 holds no event (and a backward page starting at 0 means "the newest").
      if (to === 0) return nothing();
      // The aggregate's own generator, not one wrapped in another: one hop per event.
      return readAggregate<EventOf<Catalog>>(
        context.redis,
        context.catalog,
        context.archive,
        () => context.locator.locate(streamName),
        { direction, lowest: Math.max(from ?? 1, 1), to, limit, pageSize },
        context.readKeyRing,
      );
    },
  };
}

async function* nothing(): AsyncGenerator<never> {}
