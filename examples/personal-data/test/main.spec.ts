import { describe, expect, inject, it } from "vitest";
import { main } from "../src/main.js";

describe.each([
  { backend: "the in-memory fake", redisUrl: undefined },
  { backend: "real Redis", redisUrl: inject("redisUrl") },
])("personal-data example on $backend", ({ redisUrl }) => {
  it("forgets a customer: the events stay, the personal fields read as forgotten, the read model is erased, others are intact", async () => {
    // Given the example's output captured line by line
    const lines: string[] = [];
    // When it runs
    const summary = await main({ redisUrl, print: (line) => lines.push(line) });
    const output = lines.join("\n");
    // Then Ada's two fields read as forgotten, Bob is intact, a new append for Ada is refused
    expect(summary).toEqual({
      eventsAppended: 6,
      fieldsForgotten: 2,
      othersIntact: true,
      appendRefused: true,
    });
    // and the stored entry never showed the plaintext, the read model was erased
    expect(output).toMatch(/"\$personal":"ss:pd1:c-ada:email%2Cname:/);
    expect(output).toContain("   c-ada: name=null email=null orders=3 spent=47");
    expect(output).toContain(
      '   v1 CustomerRegistered: customerId="c-ada" email=(forgotten) name=(forgotten)',
    );
    expect(output).toContain(
      '   c-bob: name="Bob Babbage" email="bob@example.com" orders=1 spent=7',
    );
  });
});
