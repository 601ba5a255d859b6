/**
 * Formats a double like C's `printf("%.<precision>g")` (default 17), which Redis 7.0 uses for score replies
 * (`addReplyDouble` in `src/networking.c`) and for Lua numbers passed to `redis.call`
 * (`luaArgsToRedisArgv` in `src/script_lua.c`). So `1.1` prints as `1.1000000000000001` and
 * `3.0` as `3`, exactly as Redis 7.0 (7.2 switched to shortest round-trip output). Lua 5.1's
 * `tostring` is the same with precision 14 (`LUA_NUMBER_FMT`).
 *
 * @example
 * ```ts
 * formatDouble(0.1); // "0.10000000000000001"
 * formatDouble(3); // "3"
 * ```
 */
export function formatDouble(value: number, precision = 17): string {
  if (Number.isNaN(value)) return "nan";
  if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
  if (value === 0) return Object.is(value, -0) ? "-0" : "0";
  const [mantissa = "", exponentText = "0"] = value.toExponential(precision - 1).split("e");
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= precision) {
    const trimmed = mantissa.includes(".") ? mantissa.replace(/\.?0+$/, "") : mantissa;
    const sign = exponent < 0 ? "-" : "+";
    return `${trimmed}e${sign}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  const fixed = value.toFixed(Math.max(0, precision - 1 - exponent));
  return fixed.includes(".") ? fixed.replace(/\.?0+$/, "") : fixed;
}

/**
 * Parses a score or other double argument like Redis's `getDoubleFromObject` (`strtod`, with
 * `inf`/`-inf`, never NaN). Returns undefined when Redis would reply "not a valid float".
 *
 * @example
 * ```ts
 * parseDouble("+inf"); // Infinity
 * ```
 */
export function parseDouble(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed !== text || text.length === 0) return undefined;
  const lower = text.toLowerCase();
  if (lower === "inf" || lower === "+inf" || lower === "infinity" || lower === "+infinity") {
    return Number.POSITIVE_INFINITY;
  }
  if (lower === "-inf" || lower === "-infinity") return Number.NEGATIVE_INFINITY;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)) return undefined;
  const value = Number(text);
  return Number.isNaN(value) ? undefined : value;
}
