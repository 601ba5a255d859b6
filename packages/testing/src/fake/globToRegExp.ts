/**
 * Compiles a Redis glob (KEYS, SCAN MATCH, CONFIG GET) into a RegExp with the rules of Redis's
 * `stringmatchlen` (`src/util.c`): `*`, `?`, `[abc]`, `[^a]`, `[a-z]` and `\` escapes.
 *
 * @example
 * ```ts
 * globToRegExp("user:*").test("user:1"); // true
 * ```
 */
export function globToRegExp(pattern: string, ignoreCase = false): RegExp {
  let source = "";
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index] as string;
    if (char === "*") {
      source += "[\\s\\S]*";
    } else if (char === "?") {
      source += "[\\s\\S]";
    } else if (char === "\\" && index + 1 < pattern.length) {
      index++;
      source += escapeRegExp(pattern[index] as string);
    } else if (char === "[") {
      let index2 = index + 1;
      let negate = false;
      if (pattern[index2] === "^") {
        negate = true;
        index2++;
      }
      let set = "";
      while (index2 < pattern.length && pattern[index2] !== "]") {
        const current = pattern[index2] as string;
        if (current === "\\" && index2 + 1 < pattern.length) {
          index2++;
          set += escapeRegExp(pattern[index2] as string);
        } else if (
          pattern[index2 + 1] === "-" &&
          index2 + 2 < pattern.length &&
          pattern[index2 + 2] !== "]"
        ) {
          let start = current;
          let end = pattern[index2 + 2] as string;
          if (start > end) [start, end] = [end, start];
          set += `${escapeRegExp(start)}-${escapeRegExp(end)}`;
          index2 += 2;
        } else {
          set += escapeRegExp(current);
        }
        index2++;
      }
      source += set.length === 0 ? (negate ? "[\\s\\S]" : "(?!)") : `[${negate ? "^" : ""}${set}]`;
      index = index2;
    } else {
      source += escapeRegExp(char);
    }
  }
  return new RegExp(`^${source}$`, ignoreCase ? "i" : "");
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
}
