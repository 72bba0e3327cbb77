import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createRefusalMemory } from "../src/rate-limit/refusal-memory.js";

describe("refusal memory", () => {
  it("refuses what asks for more than was left until the window turns, and forgets it then", () => {
    let now = 0;
    const memory = createRefusalMemory(() => now);
    memory.remember("ip:1", 7, 30_000);
    assert.equal(memory.refusedFor("ip:1", 8), 30_000);
    assert.equal(memory.refusedFor("ip:1", 7), undefined, "what was left may still be asked for");
    memory.taken("ip:1", 7);
    assert.equal(memory.refusedFor("ip:1", 1), 30_000);
    memory.taken("ip:1", -3);
    assert.equal(memory.refusedFor("ip:1", 3), undefined, "what this process gave back is left again");
    now = 30_000;
    assert.equal(memory.refusedFor("ip:1", 1_000), undefined, "a new window asks the store again");
    assert.equal(memory.size(), 0);
  });
});
