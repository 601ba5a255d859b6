import { type Decider, defineEvents, type EventOf } from "@streamstore/core";
import { deciderSpecification } from "@streamstore/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";

const events = defineEvents({
  Deposited: z.object({ amount: z.number() }),
  Withdrawn: z.object({ amount: z.number() }),
});
type BankEvent = EventOf<typeof events>;
type Command =
  | { type: "Deposit"; amount: number }
  | { type: "Withdraw"; amount: number }
  | { type: "Noop" };
class InsufficientFunds extends Error {}
const account: Decider<{ balance: number }, Command, BankEvent> = {
  initialState: () => ({ balance: 0 }),
  evolve: (state, event) => {
    state.balance += event.type === "Deposited" ? event.data.amount : -event.data.amount;
  },
  decide: (command, state) => {
    if (command.type === "Noop") return [];
    if (command.type === "Deposit") return { type: "Deposited", data: { amount: command.amount } };
    if (state.balance < command.amount) throw new InsufficientFunds(`balance ${state.balance}`);
    return [{ type: "Withdrawn", data: { amount: command.amount } }];
  },
};
const given = deciderSpecification(account);

describe("deciderSpecification", () => {
  it("passes when the command produces the expected events from the given history", async () => {
    await given([{ type: "Deposited", data: { amount: 10 } }])
      .when({ type: "Withdraw", amount: 3 })
      .then([{ type: "Withdrawn", data: { amount: 3 } }]);
    await given()
      .when({ type: "Deposit", amount: 5 })
      .then({ type: "Deposited", data: { amount: 5 } });
  });

  it("fails with a readable diff when the events differ", async () => {
    const error = await given([{ type: "Deposited", data: { amount: 10 } }])
      .when({ type: "Withdraw", amount: 3 })
      .then([{ type: "Withdrawn", data: { amount: 4 } }])
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain("expected [ { data: { amount: 4 }");
    expect((error as Error).message).toContain("actual   [ { data: { amount: 3 }");
    expect(error).toMatchObject({ expected: [{ type: "Withdrawn", data: { amount: 4 } }] });
  });

  it("checks thrown errors by class or predicate, and fails when nothing is thrown", async () => {
    await given().when({ type: "Withdraw", amount: 1 }).thenThrows(InsufficientFunds);
    await given()
      .when({ type: "Withdraw", amount: 1 })
      .thenThrows((error) => String(error).includes("balance 0"));
    await expect(
      given().when({ type: "Withdraw", amount: 1 }).thenThrows(TypeError),
    ).rejects.toThrow(/unexpected error/);
    await expect(
      given().when({ type: "Deposit", amount: 1 }).thenThrows(InsufficientFunds),
    ).rejects.toThrow(/expected the command to throw/);
  });

  it("checks that nothing happened, and fails when events were produced or an error thrown", async () => {
    await given().when({ type: "Noop" }).thenNothingHappened();
    await expect(
      given().when({ type: "Deposit", amount: 1 }).thenNothingHappened(),
    ).rejects.toThrow(/expected no events/);
    await expect(
      given().when({ type: "Withdraw", amount: 1 }).thenNothingHappened(),
    ).rejects.toThrow(/threw/);
  });

  it("refuses to be awaited without a then clause instead of hanging", async () => {
    await expect(Promise.resolve(given().when({ type: "Noop" }))).rejects.toThrow(
      /call \.then\(expectedEvents\)/,
    );
  });
});
