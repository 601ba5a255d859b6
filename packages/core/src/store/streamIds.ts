/**
 * Compares two Redis stream ids (`<ms>-<seq>`) numerically: negative, 0 or positive. String
 * comparison is wrong ("9-0" > "10-0"), one of ioredis-mock's bugs.
 *
 * @example
 * compareStreamIds("9-0", "10-0"); // < 0
 */
export function compareStreamIds(left: string, right: string): number {
  const leftDash = left.indexOf("-");
  const rightDash = right.indexOf("-");
  const leftMs = left.slice(0, leftDash);
  const rightMs = right.slice(0, rightDash);
  if (leftMs.length !== rightMs.length) return leftMs.length - rightMs.length;
  if (leftMs !== rightMs) return leftMs < rightMs ? -1 : 1;
  const leftSeq = left.slice(leftDash + 1);
  const rightSeq = right.slice(rightDash + 1);
  if (leftSeq.length !== rightSeq.length) return leftSeq.length - rightSeq.length;
  if (leftSeq === rightSeq) return 0;
  return leftSeq < rightSeq ? -1 : 1;
}
