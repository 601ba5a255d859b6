/**
 * The 1-based line of a script's source on which `snippet` first appears, as Lua numbers it in
 * error messages (the `#!lua` shebang counts as line 1: Redis keeps its newline). A twin looks its
 * call sites up by text instead of hard-coding numbers, so re-porting an edited script does not
 * silently leave stale line numbers behind. Returns 0 when the snippet is missing, which only a
 * stale twin can meet, and a stale twin is never chosen (its SHA no longer matches).
 *
 * @example
 * ```ts
 * scriptLine("#!lua\nlocal x = 1\nreturn redis.call('GET', 'k')", "redis.call('GET'"); // 3
 * ```
 */
export function scriptLine(source: string, snippet: string): number {
  const at = source.indexOf(snippet);
  if (at === -1) return 0;
  let line = 1;
  for (let index = 0; index < at; index++) if (source.charCodeAt(index) === 10) line++;
  return line;
}
