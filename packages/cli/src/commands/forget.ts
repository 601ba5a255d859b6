import { createRedisKeyStore, personalDataAuditKey } from "@streamstore/core";
import { assertDataSubject, dataKeyKey } from "@streamstore/core/internal";
import type { Command } from "commander";
import type { ActionRunner } from "../context/ActionRunner.js";
import type { CommandContext } from "../context/CommandContext.js";
import { EXIT_CODES } from "../exitCodes.js";
import { confirm, withExamples } from "./shared.js";

interface ForgetOptions {
  yes?: boolean;
  by?: string;
  reason?: string;
}

/** What the subject's key was before: made, wrapped by a KMS, already destroyed, or never made. */
function keyStateOf(stored: string | null): "key" | "wrapped key" | "forgotten" | "none" {
  if (stored === null) return "none";
  if (stored.startsWith("x1:")) return "forgotten";
  return stored.startsWith("w1:") ? "wrapped key" : "key";
}

async function forget(
  context: CommandContext,
  subject: string,
  options: ForgetOptions,
): Promise<number> {
  assertDataSubject(subject);
  const redis = await context.redis();
  const prefix = await context.prefix();
  const before = keyStateOf(await redis.get(dataKeyKey(prefix, subject)));
  const { output } = context;
  if (before === "forgotten") {
    output.data({ subject, prefix, forgotten: true, already: true }, () =>
      output.line(`Data subject "${subject}" was already forgotten under prefix "${prefix}".`),
    );
    return EXIT_CODES.ok;
  }
  await confirm(
    context,
    options.yes,
    `Forget data subject "${subject}" under prefix "${prefix}"? Its key is destroyed for good: its personal fields can never be read again, in any copy.`,
  );
  // Destroying needs no unwrapKey: a KMS-wrapped key is replaced by the tombstone all the same.
  await createRedisKeyStore({ redis, prefix }).destroy(subject, {
    by: options.by ?? "streamstore forget",
    ...(options.reason ? { reason: options.reason } : {}),
  });
  output.data({ subject, prefix, forgotten: true, already: false, hadKey: before !== "none" }, () =>
    output.line(
      `Forgot data subject "${subject}" under prefix "${prefix}"${before === "none" ? " (it had no key yet: none will be made)" : ""}; audit entry in ${personalDataAuditKey(prefix)}. Other processes stop decrypting within their key cache TTL (10 s by default); then run the read models' erase hooks and BGREWRITEAOF (see "Personal data" in the @streamstore/core README).`,
    ),
  );
  return EXIT_CODES.ok;
}

/**
 * Registers `streamstore forget <subject>`.
 *
 * @example
 * registerForget(program, runAction);
 */
export function registerForget(program: Command, runAction: ActionRunner): void {
  withExamples(
    program
      .command("forget")
      .argument("<subject>", "the data subject id (as in the events' dataSubject() field)")
      .option("--by <who>", "who asked, for the audit entry (default: streamstore forget)")
      .option("--reason <text>", "why, for the audit entry (no personal data)")
      .option("--yes", "do not ask for confirmation")
      .description(
        "Forget a data subject (crypto-shredding): destroy its key, so its personal fields read as forgotten everywhere, and record an audit entry. Asks first unless --yes.",
      ),
    [
      'streamstore forget c-42 --by dpo@example.com --reason "erasure request 118"',
      "streamstore forget c-42 --yes --json",
    ],
  ).action(
    runAction((context, subject: string, options: ForgetOptions) =>
      forget(context, subject, options),
    ),
  );
}
