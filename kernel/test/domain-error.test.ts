import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { locatedError } from "graphql";
import { DomainError, ErrorCode, outOfStock } from "#kernel";

const frames = (stack: string | undefined) => (stack ?? "").split("\n").filter((line) => /^\s+at /.test(line)).length;

describe("DomainError", () => {
  it("carries no stack frames, nor does the GraphQL error that locates it in a response", () => {
    const refusal = outOfStock("prod_1", 0);
    assert.equal(frames(refusal.stack), 0);
    assert.equal(frames(locatedError(refusal, undefined, ["checkout"]).stack), 0);
    assert.equal(refusal.extensions.code, ErrorCode.OUT_OF_STOCK);
    assert.equal(refusal.code, ErrorCode.OUT_OF_STOCK);
    assert.equal(refusal.name, "DomainError");
    assert.ok(refusal instanceof DomainError);
  });

  it("leaves every other error its stack", () => {
    const limit = Error.stackTraceLimit;
    new DomainError(ErrorCode.BAD_USER_INPUT, "no");
    assert.equal(Error.stackTraceLimit, limit);
    assert.ok(frames(new Error("a bug").stack) > 0);
  });
});
