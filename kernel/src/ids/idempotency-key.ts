import { badInput } from "../errors/domain-error.js";

export const MAX_IDEMPOTENCY_KEY_LENGTH = 200;

/**
 * A caller's idempotency key (a refund, a return, a restock, an admin's create): 1 to 200
 * printable characters, kept as sent. Each mutation says what the same key names.
 */
export const isValidIdempotencyKey = (key: string): boolean =>
  key.length >= 1 && key.length <= MAX_IDEMPOTENCY_KEY_LENGTH && !/[\u0000-\u001f\u007f-\u009f]/.test(key);

export function validIdempotencyKey(key: string): string {
  if (!isValidIdempotencyKey(key)) {
    throw badInput(`idempotencyKey must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} printable characters`, { field: "idempotencyKey" });
  }
  return key;
}
