import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GraphQLError, locatedError } from "graphql";
import { DomainError, ErrorCode, notFound, outOfStock, withoutStack } from "#kernel";

const frames = (stack: string | undefined) => (stack ?? "").split("\n").filter((line) => /^\s+at /.test(line)).length;

/** How many stacks V8 formats while `work` runs (each through source maps, where they are on). */
function stacksFormatted(work: () => void): number {
  const prepare = Error.prepareStackTrace;
  let formatted = 0;
  Error.prepareStackTrace = (error, callSites) => {
    formatted += 1;
    return prepare ? prepare(error, callSites) : String(error);
  };
  try {
    work();
  } finally {
    Error.prepareStackTrace = prepare;
  }
  return formatted;
}

describe("DomainError", () => {
  it("carries no stack, and is located in a response without a stack being formatted", () => {
    const refusal = outOfStock("prod_1", 0);
    assert.equal(frames(refusal.stack), 0);
    // graphql-js locates every error a resolver throws in a new GraphQLError, which replaced its own
    // fresh stack with the thrown one's: V8 formatted the fresh one first, ten frames, for nothing.
    assert.equal(
      stacksFormatted(() => {
        for (let i = 0; i < 10; i++) locatedError(outOfStock("prod_1", 0), undefined, ["products", i, "stock"]);
      }),
      0,
    );
    assert.equal(refusal.extensions.code, ErrorCode.OUT_OF_STOCK);
    assert.equal(refusal.code, ErrorCode.OUT_OF_STOCK);
    assert.equal(refusal.name, "DomainError");
    assert.ok(refusal instanceof DomainError);
  });

  it("withoutStack builds errors relayed from another service that are located without a stack being formatted", () => {
    const relayed = withoutStack(() => new GraphQLError("Product prod_1 was not found", { extensions: { code: ErrorCode.NOT_FOUND } }));
    assert.equal(frames(relayed.stack), 0);
    assert.equal(stacksFormatted(() => locatedError(relayed, undefined, ["product"])), 0);
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

  it("says a missing id was empty instead of quoting nothing back", () => {
    for (const id of ["", "   "]) {
      const empty = notFound("Category", id);
      assert.equal(empty.message, "Category was not found: the id given is empty");
      assert.deepEqual(empty.extensions, { code: ErrorCode.NOT_FOUND, id });
    }
  });
});
