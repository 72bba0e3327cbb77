import type { AccountMailReason } from "#kernel";
import type { AccountTokenPurpose } from "../domain/account-token.js";

/** A one-time link to mail to the account holder; the address is the account's, looked up when sending. */
export interface AccountMailRequest {
  purpose: AccountTokenPurpose;
  userId: string;
  token: string;
  expiresAt: Date;
  /** Why it is mailed, when the holder did not ask for it. */
  reason?: AccountMailReason;
}

/**
 * Hands account mail to the notification service. `send` resolves once the request is
 * accepted for delivery (on the event bus); it never sends mail itself.
 */
export interface AccountMailer {
  send(request: AccountMailRequest): Promise<void>;
}
