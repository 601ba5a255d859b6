import {
  ConcurrencyError,
  IdempotencyConflictError,
  InvalidArgumentError,
  ReplicationTimeoutError,
  ScriptFailedError,
} from "../errors/index.js";
import type { EventCatalog } from "../events/defineEvents.js";
import { parseStreamName } from "../keys/keyLayout.js";
import { subjectsOfBatch } from "../personalData/personalFields.js";
import { runFunction } from "../scripting/runFunction.js";
import { appendAndWait, typedAppendError } from "./appendAndWait.js";
import type { AppendDurability, AppendOptions, AppendResult } from "./appendTypes.js";
import { checkPositiveInteger } from "./checkArguments.js";
import { coreFunctionLibrary } from "./coreFunctionLibrary.js";
import type { EventStore, StreamLocation } from "./EventStore.js";
import { encodeEvents } from "./encodeEvents.js";
import { corruptIndex } from "./readAggregatePage.js";
import type { StoreContext } from "./storeContext.js";

// The toolkit's scripts run as Redis Functions (FCALL / FCALL_RO), loaded where missing: see
// scripting/runFunction.ts and "Redis Functions" in the README.
const APPEND = coreFunctionLibrary.functions.append;

type AppendArguments<Catalog extends EventCatalog> = Parameters<EventStore<Catalog>["append"]>;

function normaliseExpectedVersion(value: unknown): { kind: string; version: number } {
  if (value === "any" || value === "no_stream" || value === "stream_exists")
    return { kind: value, version: 0 };
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) {
    return { kind: "exact", version: value };
  }
  throw new InvalidArgumentError(
    "expectedVersion",
    `${JSON.stringify(value) ?? String(value)} is not "any", "no_stream", "stream_exists" or a version (an integer >= 0).`,
  );
}

function checkDurability(value: unknown): AppendDurability | undefined {
  if (value === undefined) return undefined;
  const { replicas, timeoutMs } = (value ?? {}) as Partial<AppendDurability>;
  return {
    replicas: checkPositiveInteger("durability.replicas", replicas, 1000),
    // WAIT with timeout 0 blocks forever: a bound is required.
    timeoutMs: checkPositiveInteger("durability.timeoutMs", timeoutMs, 3_600_000),
  };
}

/**
 * `store.append` of a store from `getRedisEventStore`: checks the arguments, encodes the events
 * (encrypting personal fields client-side), then appends them in one script call, all or nothing,
 * with the expected-version and idempotency checks done by the script.
 *
 * @example
 * const result = await appendToStream(context, "account-1", [{ type: "Opened", data }], { expectedVersion: "no_stream" });
 */
export async function appendToStream<Catalog extends EventCatalog>(
  context: StoreContext<Catalog>,
  streamName: AppendArguments<Catalog>[0],
  newEvents: AppendArguments<Catalog>[1],
  appendOptions: NonNullable<AppendArguments<Catalog>[2]>,
): Promise<AppendResult> {
  const { catalog, keyRing, locator } = context;
  // Validated first, so a bad name is reported before anything about the events.
  const name = parseStreamName(streamName);
  const expected = normaliseExpectedVersion(appendOptions.expectedVersion ?? "any");
  const durability = checkDurability(appendOptions.durability);
  // Personal data: subjects checked and keys loaded (made on first use) before encoding, which
  // encrypts client-side: the append script never needs a key (Cluster: keys live on the
  // subject's slot, not the stream's).
  const subjects = catalog.hasPersonalData
    ? subjectsOfBatch(catalog, newEvents, appendOptions.metadata)
    : undefined;
  const personalKeys =
    subjects && subjects.size > 0
      ? (keyRing.cachedForWrite(subjects) ?? (await keyRing.forWrite(subjects)))
      : undefined;
  const encoded = encodeEvents(
    catalog,
    newEvents,
    appendOptions.metadata,
    context.limits,
    personalKeys,
  );
  // A known category on a checked server (the hot path): no call to the async locate.
  const location = locator.locateKnown(name) ?? (await locator.locate(name, true));
  // Events without metadata at schema version 1 (the common batch) go as 3 values each.
  const plain = encoded.every((event) => event.metadata === "" && event.schemaVersion === 1);
  const scriptKeys = [location.indexKey, location.logKey];
  const args: (string | number)[] = [
    expected.kind,
    expected.version,
    location.id,
    encoded.length,
    plain ? 3 : 5,
  ];
  for (const event of encoded) {
    if (plain) args.push(event.id, event.type, event.data);
    else args.push(event.id, event.type, event.data, event.metadata, event.schemaVersion);
  }
  let reply: unknown[];
  let acknowledged: number | undefined;
  if (durability === undefined) {
    try {
      reply = (await runFunction(
        context.redis,
        coreFunctionLibrary,
        APPEND,
        scriptKeys,
        args,
      )) as unknown[];
    } catch (error) {
      typedAppendError(error);
    }
  } else {
    ({ reply, acknowledged } = await appendAndWait(context.redis, scriptKeys, args, durability));
  }
  return appendResult(streamName, appendOptions, location, reply, durability, acknowledged);
}

/** The append script's reply as a result, or the typed error it means. */
function appendResult(
  streamName: string,
  appendOptions: AppendOptions,
  location: StreamLocation,
  reply: unknown[],
  durability: AppendDurability | undefined,
  acknowledged: number | undefined,
): AppendResult {
  const status = reply?.[0];
  if (status === "ok" || status === "dup") {
    const result: AppendResult = {
      streamName,
      nextExpectedVersion: Number(reply[1]),
      firstVersion: Number(reply[2]),
      positions: reply.slice(3).map(String),
      partition: location.partition,
      duplicate: status === "dup",
    };
    if (durability !== undefined && acknowledged !== undefined) {
      result.replicasAcknowledged = acknowledged;
      if (acknowledged < durability.replicas)
        throw new ReplicationTimeoutError(streamName, acknowledged, durability.replicas, result);
    }
    return result;
  }
  if (status === "conflict") {
    throw new ConcurrencyError(
      streamName,
      appendOptions.expectedVersion ?? "any",
      Number(reply[1]),
      Number(reply[2]) === 1,
    );
  }
  if (status === "idempotency") {
    throw new IdempotencyConflictError(streamName, String(reply[1]), String(reply[2]));
  }
  if (status === "corrupt") throw corruptIndex(streamName, location.indexKey, reply[1]);
  if (status === "position") {
    throw new ScriptFailedError(
      `the category log ${location.logKey} gave position ${String(reply[1])}, beyond what an aggregate index records (milliseconds and sequence below 2^48): its ids were set by hand (XADD with an explicit id, XSETID); the script deleted the entries it had added`,
    );
  }
  throw new ScriptFailedError(`the append script answered ${JSON.stringify(reply)}`);
}
