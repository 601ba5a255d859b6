// Given events on the in-memory fake, then this read model: the real projection runner, and every
// event delivered a second time to check that none is applied twice.
import { projectionSpecification } from "@streamstore/testing";
import { describe, it } from "vitest";
import { balances } from "../src/projection.js";

describe("balances projection", () => {
  it("keeps each account's owner, balance and number of movements", async () => {
    await projectionSpecification(balances)
      .givenEvents(
        { streamName: "account-ada", type: "Opened", data: { owner: "Ada" } },
        { streamName: "account-ada", type: "Deposited", data: { amount: 100 } },
        { streamName: "account-ada", type: "Withdrawn", data: { amount: 30 } },
        { streamName: "account-bob", type: "Opened", data: { owner: "Bob" } },
      )
      .thenReadModels({
        "account-ada": { owner: "Ada", balance: 70, movements: 2 },
        "account-bob": { owner: "Bob", balance: 0, movements: 0 },
      });
  });
});
