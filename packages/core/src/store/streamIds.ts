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

/**
 * The milliseconds of a stream id `<ms>-<seq>` (each 1 to 20 digits), or -1 when `id` is not
 * one: the check and the timestamp of every decoded event in one pass over its characters, with
 * no allocation (a regular expression, a slice and `Number` cost that event ~180 ns).
 *
 * @example
 * streamIdMillis("1700000000000-4"); // 1700000000000
 * streamIdMillis("1700000000000"); // -1
 */
export function streamIdMillis(id: string): number {
  const length = id.length;
  let millis = 0;
  let dash = 0;
  for (; dash < length; dash++) {
    const code = id.charCodeAt(dash);
    if (code === 45) break;
    if (code < 48 || code > 57 || dash === 20) return -1;
    millis = millis * 10 + (code - 48);
  }
  const seqDigits = length - dash - 1;
  if (dash === 0 || seqDigits < 1 || seqDigits > 20) return -1;
  for (let at = dash + 1; at < length; at++) {
    const code = id.charCodeAt(at);
    if (code < 48 || code > 57) return -1;
  }
  // The sum is exact up to 15 digits (below 2^53); longer ones round as Number does.
  return dash > 15 ? Number(id.slice(0, dash)) : millis;
}
