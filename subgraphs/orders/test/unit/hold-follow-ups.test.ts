import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { waitFor } from "#kernel/testing";
import { createHoldFollowUps } from "../../src/domain/hold-follow-ups.js";

describe("second looks at holds left to a twin", () => {
  it("runs one look per order id however many refusals schedule one, and reports its failure", async () => {
    const ran: string[] = [];
    const failed: string[] = [];
    const followUps = createHoldFollowUps({ onError: (orderId) => void failed.push(orderId) });
    followUps.schedule("ord_a", 5, async () => void ran.push("first"));
    followUps.schedule("ord_a", 5, async () => void ran.push("second"));
    followUps.schedule("ord_b", 5, async () => {
      throw new Error("inventory unreachable");
    });
    await waitFor("both looks ran", () => ran.length === 1 && failed.length === 1);
    assert.deepEqual([ran, failed], [["first"], ["ord_b"]]);
    // Once run, a later refusal of the id schedules a look again.
    followUps.schedule("ord_a", 5, async () => void ran.push("third"));
    await waitFor("the next look ran", () => ran.length === 2);
    assert.deepEqual(ran, ["first", "third"]);
  });

  it("drops the looks not run yet when stopped", async () => {
    const ran: string[] = [];
    const followUps = createHoldFollowUps();
    followUps.schedule("ord_c", 20, async () => void ran.push("c"));
    followUps.stop();
    followUps.schedule("ord_d", 30, async () => void ran.push("d"));
    await waitFor("the look scheduled after the stop ran", () => ran.length === 1);
    assert.deepEqual(ran, ["d"]);
  });
});
