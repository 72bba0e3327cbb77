import assert from "node:assert/strict";
import { PolicyRefusal } from "../../src/security/request-policy.js";

/** The request policy's refusal of `work`, failing the test when it was admitted or failed otherwise. */
export async function refusal(work: Promise<unknown>): Promise<PolicyRefusal> {
  const error = await work.then(
    () => assert.fail("expected a refusal"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof PolicyRefusal, String(error));
  return error;
}
