// Given events, when a command, then these events (or this error): the decider alone, no store.
import { deciderSpecification } from "@streamstore/testing";
import { describe, it } from "vitest";
import { AccountError, account } from "../src/decider.js";

const given = deciderSpecification(account);

describe("account decider", () => {
  it("opens an account", async () => {
    await given([])
      .when({ type: "Open", owner: "Ada" })
      .then([{ type: "Opened", data: { owner: "Ada" } }]);
  });

  it("withdraws what the balance covers", async () => {
    await given([
      { type: "Opened", data: { owner: "Ada" } },
      { type: "Deposited", data: { amount: 100 } },
    ])
      .when({ type: "Withdraw", amount: 30 })
      .then([{ type: "Withdrawn", data: { amount: 30 } }]);
  });

  it("refuses a withdrawal the balance does not cover", async () => {
    await given([
      { type: "Opened", data: { owner: "Ada" } },
      { type: "Deposited", data: { amount: 100 } },
      { type: "Withdrawn", data: { amount: 30 } },
    ])
      .when({ type: "Withdraw", amount: 1000 })
      .thenThrows(AccountError);
  });

  it("refuses a deposit before the account is opened", async () => {
    await given([]).when({ type: "Deposit", amount: 10 }).thenThrows(AccountError);
  });

  it("opens an account only once", async () => {
    await given([{ type: "Opened", data: { owner: "Ada" } }])
      .when({ type: "Open", owner: "Ada" })
      .thenNothingHappened();
  });
});
