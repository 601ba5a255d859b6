import { describe, expect, inject, it } from "vitest";
import { main } from "../src/main.js";

describe.each([
  { backend: "the in-memory fake", redisUrl: undefined },
  { backend: "real Redis", redisUrl: inject("redisUrl") },
])("audit-log example on $backend", ({ redisUrl }) => {
  it("reads changes newest first, by type and by time window", async () => {
    // Given the example's output captured line by line
    const lines: string[] = [];

    // When it runs (quick: 10 background users)
    const summary = await main({ redisUrl, quick: true, print: (line) => lines.push(line) });
    const output = lines.join("\n");
    const section = (title: string) => {
      const start = lines.findIndex((line) => line.startsWith(title));
      const end = lines.indexOf("", start);
      return lines.slice(start + 1, end);
    };

    // Then every change is in the log
    expect(output).toContain(
      "=> 43 changes appended to 13 user streams; the user log holds 43 entries",
    );
    // and the latest 3 of bob come newest first
    expect(
      section("2. ")
        .slice(0, 3)
        .map((line) => line.replace(/ \+\d+ ms/, "")),
    ).toEqual([
      "   v5 by security-1: RoleRevoked admin",
      "   v4 by admin-3: RoleGranted admin",
      "   v3 by bob: EmailChanged bob@example.com -> robert@example.com",
    ]);
    // and the type filter keeps only role changes
    expect(section("3. ").map((line) => line.replace(/ \+\d+ ms/, ""))).toEqual([
      "   v4 by security-1: RoleRevoked admin",
      "   v2 by admin-3: RoleGranted admin",
    ]);
    // and the time window holds exactly the incident and the self-service changes made during it
    expect(output).toContain("15 changes in the window: 5 by admin-3, 10 self-service by 10 users");
    expect(section("5. ").map((line) => line.replace(/ \+\d+ ms/, ""))).toEqual([
      "   v5 by carol: PasswordReset",
      "   v4 by security-1: RoleRevoked admin",
      "   v3 by admin-3: PasswordReset",
      "   v2 by admin-3: RoleGranted admin",
    ]);
    expect(output).toContain("4 role grants: 1 editor, 3 admin");
    expect(summary).toEqual({
      eventsAppended: 43,
      streams: 13,
      inWindow: 15,
      inWindowByIncidentActor: 5,
      roleGrants: 4,
    });
  });
});
