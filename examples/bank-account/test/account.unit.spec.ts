import { deciderSpecification } from "@streamstore/testing";
import { describe, it } from "vitest";
import { AccountStateError, account, InsufficientFundsError } from "../src/account.js";

const given = deciderSpecification(account);
const opened = { type: "AccountOpened", data: { owner: "Alice" } } as const;

describe("account", () => {
  it("opens a new account", async () => {
    // Given no events / When Open / Then AccountOpened
    await given([])
      .when({ type: "Open", owner: "Alice" })
      .then([{ type: "AccountOpened", data: { owner: "Alice" } }]);
  });

  it("refuses to open an account twice", async () => {
    await given([opened]).when({ type: "Open", owner: "Alice" }).thenThrows(AccountStateError);
  });

  it("refuses deposits before the account is opened", async () => {
    await given([]).when({ type: "Deposit", amount: 10 }).thenThrows(AccountStateError);
  });

  it("records a deposit", async () => {
    await given([opened])
      .when({ type: "Deposit", amount: 10 })
      .then([{ type: "Deposited", data: { amount: 10 } }]);
  });

  it("records a withdrawal covered by the balance", async () => {
    await given([opened, { type: "Deposited", data: { amount: 50 } }])
      .when({ type: "Withdraw", amount: 50 })
      .then([{ type: "Withdrawn", data: { amount: 50 } }]);
  });

  it("refuses a withdrawal larger than the balance left by earlier withdrawals", async () => {
    // Given 50 in, 30 out
    await given([
      opened,
      { type: "Deposited", data: { amount: 50 } },
      { type: "Withdrawn", data: { amount: 30 } },
    ])
      // When 30 more is asked / Then only 20 is left
      .when({ type: "Withdraw", amount: 30 })
      .thenThrows(
        (error) =>
          error instanceof InsufficientFundsError && error.balance === 20 && error.requested === 30,
      );
  });
});
