import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createRecipientLookup } from "../src/domain/recipient-lookup.js";
import type { Recipient, RecipientDirectory } from "../src/ports/recipient-directory.js";

/** A directory of two customers that records every request, and fails while told to. */
function countingDirectory() {
  const requests: string[][] = [];
  let failing = false;
  const directory: RecipientDirectory = {
    engine: "counting",
    async findMany(userIds) {
      requests.push([...userIds]);
      if (failing) throw new Error("accounts unreachable");
      const known: Record<string, string> = { u1: "one@example.com", u2: "two@example.com" };
      return new Map<string, Recipient>(userIds.filter((id) => known[id]).map((id) => [id, { userId: id, email: known[id] }]));
    },
  };
  return { directory, requests, fail: (value: boolean) => void (failing = value) };
}

describe("recipient lookup", () => {
  it("asks the directory once for every lookup started together, and undefined for a user without an account", async () => {
    const { directory, requests } = countingDirectory();
    const lookup = createRecipientLookup(directory, { ttlMs: 60_000 });
    const found = await Promise.all(["u1", "u2", "u1", "gone"].map((id) => lookup.find(id)));
    assert.deepEqual(found.map((r) => r?.email), ["one@example.com", "two@example.com", "one@example.com", undefined]);
    assert.deepEqual(requests, [["u1", "u2", "gone"]]);
  });

  it("reuses an answer until it is ttlMs old, then asks again", async () => {
    const { directory, requests } = countingDirectory();
    let now = 0;
    const lookup = createRecipientLookup(directory, { ttlMs: 1_000, now: () => now });
    await lookup.find("u1");
    now = 999;
    await lookup.find("u1");
    assert.equal(requests.length, 1);
    now = 1_000;
    await lookup.find("u1");
    assert.equal(requests.length, 2);
  });

  it("does not remember a failed lookup: the retry asks again", async () => {
    const { directory, requests, fail } = countingDirectory();
    const lookup = createRecipientLookup(directory, { ttlMs: 60_000 });
    fail(true);
    await assert.rejects(lookup.find("u1"), /unreachable/);
    fail(false);
    assert.equal((await lookup.find("u1"))?.email, "one@example.com");
    assert.equal(requests.length, 2);
  });

  it("keeps at most maxEntries answers, forgetting the oldest", async () => {
    const { directory, requests } = countingDirectory();
    const lookup = createRecipientLookup(directory, { ttlMs: 60_000, maxEntries: 2 });
    for (const id of ["u1", "u2", "gone"]) await lookup.find(id);
    await lookup.find("u1");
    assert.deepEqual(requests.at(-1), ["u1"], "u1 was forgotten to make room");
    await lookup.find("gone");
    assert.equal(requests.length, 4, "the newer ones are still remembered");
  });
});
