import type { CommandTable } from "../CommandContext.js";
import { xautoclaim, xclaim, xpending } from "./streamClaimCommands.js";
import { xack, xgroup } from "./streamGroupCommands.js";
import { xinfo } from "./streamInfoCommands.js";
import { xlen, xrangeGeneric, xread } from "./streamReadCommands.js";
import { xadd, xdel, xsetid, xtrim } from "./streamWriteCommands.js";

export { serveStreamRead } from "./streamReadCommands.js";

/**
 * The stream commands of the fake, keyed by lower-case name, with Redis 7.0 arities.
 *
 * @example
 * ```ts
 * streamCommands.xadd?.arity; // -5
 * ```
 */
export const streamCommands: CommandTable = {
  xadd: { arity: -5, handler: xadd, write: true },
  xrange: { arity: -4, handler: (ctx, argv) => xrangeGeneric(ctx, argv, false) },
  xrevrange: { arity: -4, handler: (ctx, argv) => xrangeGeneric(ctx, argv, true) },
  xlen: { arity: 2, handler: xlen },
  xdel: { arity: -3, handler: xdel, write: true },
  xtrim: { arity: -4, handler: xtrim, write: true },
  xread: { arity: -4, handler: xread },
  xreadgroup: { arity: -7, handler: xread, write: true },
  xack: { arity: -4, handler: xack, write: true },
  xpending: { arity: -3, handler: xpending },
  xclaim: { arity: -6, handler: xclaim, write: true },
  xautoclaim: { arity: -6, handler: xautoclaim, write: true },
  xsetid: { arity: -3, handler: xsetid, write: true },
  xgroup: {
    arity: -2,
    handler: xgroup,
    write: true,
    subcommands: {
      create: { arity: -5 },
      setid: { arity: -5 },
      destroy: { arity: 4 },
      createconsumer: { arity: 5 },
      delconsumer: { arity: 5 },
      help: { arity: 2 },
    },
  },
  xinfo: {
    arity: -2,
    handler: xinfo,
    subcommands: {
      stream: { arity: -3 },
      groups: { arity: 3 },
      consumers: { arity: 4 },
      help: { arity: 2 },
    },
  },
};
