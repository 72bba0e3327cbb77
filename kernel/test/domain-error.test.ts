import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { locatedError } from "graphql";
import { DomainError, ErrorCode, notFound, outOfStock } from "#kernel";

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

  it("quotes back a missing id only when it could be one: a huge one is named by its length", () => {
    assert.equal(notFound("Order", "ord_1").message, "Order ord_1 was not found");
    assert.deepEqual(notFound("Order", "ord_1").extensions, { code: ErrorCode.NOT_FOUND, id: "ord_1" });
    const huge = notFound("Order", "x".repeat(90_000));
    assert.equal(huge.extensions.code, ErrorCode.NOT_FOUND);
    assert.ok(huge.message.length < 200, huge.message.slice(0, 300));
    assert.equal(JSON.stringify(huge.extensions).includes("xxxx"), false);
  });
});
