import { defineEvents, type EventOf } from "@streamstore/core";
import { z } from "zod";

/** Every change to a user account, as the audit trail records it. */
export const userEvents = defineEvents({
  UserRegistered: z.object({ email: z.email() }),
  EmailChanged: z.object({ from: z.email(), to: z.email() }),
  RoleGranted: z.object({ role: z.string() }),
  RoleRevoked: z.object({ role: z.string() }),
  PasswordReset: z.object({}),
});

/** One event of {@link userEvents}. */
export type UserEvent = EventOf<typeof userEvents>;

/** Who made a change: stored as event metadata, beside the change itself. */
export interface AuditMetadata {
  actor: string;
  [field: string]: unknown;
}

/**
 * A change in one line, for printing.
 *
 * @example
 * describeChange({ type: "RoleGranted", data: { role: "admin" } }); // "RoleGranted admin"
 */
export function describeChange(event: UserEvent): string {
  switch (event.type) {
    case "UserRegistered":
      return `UserRegistered ${event.data.email}`;
    case "EmailChanged":
      return `EmailChanged ${event.data.from} -> ${event.data.to}`;
    case "RoleGranted":
    case "RoleRevoked":
      return `${event.type} ${event.data.role}`;
    case "PasswordReset":
      return "PasswordReset";
  }
}
