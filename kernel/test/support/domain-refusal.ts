import assert from "node:assert/strict";
import { DomainError } from "../../src/index.js";

/** What a validator refused with: its code, field and message (fails the test if it accepted). */
export function refusal(run: () => unknown): { code: unknown; field: unknown; message: string } {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof DomainError, String(error));
    return { code: error.extensions.code, field: error.extensions.field, message: error.message };
  }
  assert.fail("expected a refusal");
}
