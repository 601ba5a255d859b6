/**
 * One source partition log of a projection.
 *
 * @example
 * const partition: SourcePartition = { category: "account", partition: 0, field: "account:0" };
 */
export interface SourcePartition {
  category: string;
  partition: number;
  /** `<category>:<partition>`: the partition's field in checkpoints, leases and states. */
  field: string;
}

/**
 * The fields of the partitions a worker owns: the live members (sorted, the same list on every
 * worker) deal the partitions round-robin, so each partition has exactly one owner and the
 * counts differ by one at most. A worker that is not a member (yet) owns none.
 *
 * @example
 * assignedFields(partitions, ["w1", "w2"], "w2"); // the 2nd, 4th, ... partitions' fields
 */
export function assignedFields(
  partitions: readonly SourcePartition[],
  members: readonly string[],
  workerId: string,
): Set<string> {
  const index = members.indexOf(workerId);
  if (index < 0) return new Set();
  return new Set(
    partitions
      .filter((_, position) => position % members.length === index)
      .map((partition) => partition.field),
  );
}
