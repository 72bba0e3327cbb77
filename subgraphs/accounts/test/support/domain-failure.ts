import assert from "node:assert/strict";
import { DomainError } from "#kernel";

/** The DomainError `work` fails with; the test fails when it succeeds or throws anything else. */
export async function failure(work: Promise<unknown>): Promise<DomainError> {
  const error = await work.then(
    () => assert.fail("expected the call to fail"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof DomainError, `expected a DomainError, got ${String(error)}`);
  return error;
}
