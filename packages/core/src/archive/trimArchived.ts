import type { Cluster, Redis } from "ioredis";
import { CorruptEventError } from "../errors/index.js";
import type { KeyLayout } from "../keys/keyLayout.js";
import { runFunction } from "../scripting/runFunction.js";
import { coreFunctionLibrary } from "../store/coreFunctionLibrary.js";

/** One step of the archiver on one category partition: what the archive has committed. */
export interface TrimRequest {
  category: string;
  partition: number;
  /** The archiver's lease token: a step of a process that lost its lease changes nothing. */
  token: string;
  /** The last archived position: every log entry up to it (inclusive) is committed. */
  through: string;
  /** Per aggregate with events in the step: its highest archived version and that position. */
  aggregates: readonly { id: string; version: number; position: string }[];
}

/** What a trim did: `fenced` when the lease was not the caller's (nothing was changed). */
export type TrimResult = { outcome: "trimmed"; trimmed: number } | { outcome: "fenced" };

/**
 * Trims a category partition's log up to `through` and shrinks its aggregates' indexes, in one
 * script under the archiver's lease (`ARCHIVE_TRIM_SCRIPT`, the core library's `archive_trim` function). Call it only once the archive
 * has committed every entry up to `through`.
 *
 * @example
 * await trimArchived(redis, keys, { category: "order", partition: 0, token, through: "1700000000000-4", aggregates: [{ id: "7", version: 3, position: "1700000000000-4" }] });
 */
export async function trimArchived(
  redis: Redis | Cluster,
  keys: KeyLayout,
  request: TrimRequest,
): Promise<TrimResult> {
  const { category, partition } = request;
  const indexKeys = request.aggregates.map(({ id }) => keys.index(category, partition, id));
  const reply = (await runFunction(
    redis,
    coreFunctionLibrary,
    coreFunctionLibrary.functions.archive_trim,
    [
      keys.log(category, partition),
      keys.archived(category, partition),
      keys.archiver(category, partition),
      ...indexKeys,
    ],
    [
      request.token,
      request.through,
      ...request.aggregates.flatMap(({ version, position }) => [version, position]),
    ],
  )) as unknown[];
  if (reply[0] === "fenced") return { outcome: "fenced" };
  if (reply[0] === "corrupt") {
    throw new CorruptEventError(
      `${category}-?`,
      undefined,
      String(reply[1]),
      "the archiver found this index not whole records, or naming another log position than the archived event's (it was written by hand); nothing was trimmed",
    );
  }
  return { outcome: "trimmed", trimmed: Number(reply[1]) };
}
