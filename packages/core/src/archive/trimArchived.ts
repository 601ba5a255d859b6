import type { Cluster, Redis } from "ioredis";
import { CorruptEventError } from "../errors/index.js";
import type { KeyLayout } from "../keys/keyLayout.js";
import { ARCHIVE_TRIM_SCRIPT } from "../store/scripts.js";

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

interface TrimCommand {
  // One array argument (ioredis flattens it): a step's aggregates spread onto the call stack
  // would overflow it past ~120,000 arguments (issue 14).
  streamstoreArchiveTrim1(args: (string | number)[]): Promise<unknown>;
}

/**
 * Trims a category partition's log up to `through` and shrinks its aggregates' indexes, in one
 * script under the archiver's lease (see `ARCHIVE_TRIM_SCRIPT`). Call it only once the archive
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
  const client = redis as unknown as Partial<TrimCommand> & Pick<Redis, "defineCommand">;
  if (typeof client.streamstoreArchiveTrim1 !== "function") {
    // No numberOfKeys: the step's index keys vary, so the call passes their count first.
    client.defineCommand("streamstoreArchiveTrim1", { lua: ARCHIVE_TRIM_SCRIPT });
  }
  const { category, partition } = request;
  const indexKeys = request.aggregates.map(({ id }) => keys.index(category, partition, id));
  const args: (string | number)[] = [
    3 + indexKeys.length,
    keys.log(category, partition),
    keys.archived(category, partition),
    keys.archiver(category, partition),
  ];
  for (const key of indexKeys) args.push(key);
  args.push(request.token, request.through);
  for (const { version, position } of request.aggregates) args.push(version, position);
  const reply = (await (client as TrimCommand).streamstoreArchiveTrim1(args)) as unknown[];
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
