/**
 * Redis's `struct` Lua library (Roberto Ierusalimschy's lua_struct.c, as Redis 7.0 ships it) for
 * the integer options the toolkit's scripts use: `struct.pack`, `struct.unpack`, `struct.size`
 * with `<`, `>`, `=` (little-endian, as on x86-64), spaces, `x` (a zero byte) and the integers
 * `b B h H l L T i I` (`i`/`I` with an optional size, 1 to 8 bytes). Numbers are Lua 5.1 doubles:
 * `pack` stores `(unsigned long)` of the value (of `(long)` for a negative one), `unpack` returns
 * the integer as a double, sign-extended for the lower-case options. Other options (floats,
 * strings, alignment `!`) raise an error that names the fake's limit.
 *
 * Data are byte strings (one char per byte, see byteString.ts), as the fake keeps every string.
 */

/** An error raised as Lua's `luaL_error` / `luaL_argerror` would word it. */
export class LuaStructError extends Error {}

interface Option {
  readonly code: string;
  readonly size: number;
  readonly signed: boolean;
}

const INTEGER_SIZES: Readonly<Record<string, number>> = {
  b: 1,
  B: 1,
  h: 2,
  H: 2,
  l: 8,
  L: 8,
  T: 8,
};

/** The options of a format and its byte order, as lua_struct.c's `optsize` reads them. */
function parseFormat(format: string): { littleEndian: boolean; options: Option[] }[] {
  const items: { littleEndian: boolean; options: Option[] }[] = [];
  let littleEndian = true;
  let options: Option[] = [];
  for (let at = 0; at < format.length; at++) {
    const code = format[at] as string;
    if (code === "<" || code === ">" || code === "=") {
      if (options.length > 0) items.push({ littleEndian, options });
      options = [];
      littleEndian = code !== ">";
    } else if (code === " ") {
      // ignored, as in lua_struct.c
    } else if (code === "x") {
      options.push({ code, size: 1, signed: false });
    } else if (code === "i" || code === "I") {
      let digits = "";
      while (/[0-9]/.test(format[at + 1] ?? "")) digits += format[++at];
      const size = digits === "" ? 4 : Number(digits);
      if (size < 1 || size > 8) {
        throw new LuaStructError(
          `integral size ${size} is not supported by the fake's struct (1 to 8 bytes)`,
        );
      }
      options.push({ code, size, signed: code === "i" });
    } else if (INTEGER_SIZES[code] !== undefined) {
      options.push({
        code,
        size: INTEGER_SIZES[code] as number,
        signed: code === code.toLowerCase(),
      });
    } else {
      throw new LuaStructError(
        `invalid format option '${code}' (the fake's struct packs integers and 'x' only)`,
      );
    }
  }
  if (options.length > 0) items.push({ littleEndian, options });
  return items;
}

/** `(unsigned long)n` (and `(unsigned long)(long)n` for a negative n) on x86-64. */
function toUnsigned64(value: number): bigint {
  if (Number.isNaN(value) || !Number.isFinite(value)) return 1n << 63n;
  return BigInt.asUintN(64, BigInt(Math.trunc(value)));
}

/**
 * `struct.pack(format, ...)`: the byte string of the values.
 *
 * @example
 * ```ts
 * structPack(">I6I6", [1, 2]); // "\0\0\0\0\0\x01\0\0\0\0\0\x02"
 * ```
 */
export function structPack(format: string, values: readonly number[]): string {
  let out = "";
  let next = 0;
  for (const { littleEndian, options } of parseFormat(format)) {
    for (const { code, size } of options) {
      if (code === "x") {
        out += "\0";
        continue;
      }
      const value = values[next++];
      if (value === undefined) {
        throw new LuaStructError(
          `bad argument #${next + 1} to 'pack' (number expected, got no value)`,
        );
      }
      let bits = toUnsigned64(value);
      const bytes: number[] = [];
      for (let index = 0; index < size; index++) {
        bytes.push(Number(bits & 0xffn));
        bits >>= 8n;
      }
      if (!littleEndian) bytes.reverse();
      out += String.fromCharCode(...bytes);
    }
  }
  return out;
}

/**
 * `struct.unpack(format, data, position)`: the values read from `data` at `position` (1-based),
 * and the position after them.
 *
 * @example
 * ```ts
 * structUnpack(">I6I6", "\0\0\0\0\0\x01\0\0\0\0\0\x02", 1); // { values: [1, 2], next: 13 }
 * ```
 */
export function structUnpack(
  format: string,
  data: string,
  position = 1,
): { values: number[]; next: number } {
  if (!(position > 0))
    throw new LuaStructError("bad argument #3 to 'unpack' (offset must be 1 or greater)");
  let at = Math.trunc(position) - 1;
  const values: number[] = [];
  for (const { littleEndian, options } of parseFormat(format)) {
    for (const { code, size, signed } of options) {
      if (size > data.length || at > data.length - size) {
        throw new LuaStructError("bad argument #2 to 'unpack' (data string too short)");
      }
      if (code !== "x") {
        let bits = 0n;
        for (let index = 0; index < size; index++) {
          const byte = data.charCodeAt(littleEndian ? at + size - 1 - index : at + index);
          bits = (bits << 8n) | BigInt(byte);
        }
        values.push(Number(signed ? BigInt.asIntN(size * 8, bits) : bits));
      }
      at += size;
    }
  }
  return { values, next: at + 1 };
}

/**
 * `struct.size(format)`: the bytes a format packs.
 *
 * @example
 * ```ts
 * structSize(">I6I6"); // 12
 * ```
 */
export function structSize(format: string): number {
  let size = 0;
  for (const { options } of parseFormat(format)) for (const option of options) size += option.size;
  return size;
}
