import { badInput } from "#kernel";

export const MAX_IDEMPOTENCY_KEY_LENGTH = 200;

/**
 * A caller's idempotency key for an after-sale request (a refund, a return): 1 to 200
 * printable characters, kept as sent. The same key names the same request within its order.
 */
export function validIdempotencyKey(key: string): string {
  if (key.length < 1 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH || /[\u0000-\u001f]/.test(key)) {
    throw badInput(`idempotencyKey must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} printable characters`, { field: "idempotencyKey" });
  }
  return key;
}
