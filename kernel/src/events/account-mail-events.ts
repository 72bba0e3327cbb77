/**
 * Event types on `accounts.mail`, keyed by user id: accounts asks the notification service to
 * mail a one-time link. The token travels sealed (sealed-secret.ts): the topic is kept on disk
 * by Kafka and by the embedded journal, and a readable token there would be a working link.
 */
export const AccountMailEventTypes = {
  passwordResetRequested: "PasswordResetRequested",
  emailVerificationRequested: "EmailVerificationRequested",
} as const;

export type AccountMailEventType = (typeof AccountMailEventTypes)[keyof typeof AccountMailEventTypes];

/** Payload of both account mail events. The address is looked up when sending, never carried. */
export interface AccountMailRequestedPayload {
  userId: string;
  /** The one-time token, sealed with the internal secret; only the notification service opens it. */
  sealedToken: string;
  /** When the token stops working (ISO 8601), so the mail can say how long it is valid. */
  expiresAt: string;
  /**
   * Why a reset link is mailed: absent when the customer asked for one, `sign-up-with-taken-email`
   * when someone tried to create an account with this address (the mail tells its owner so).
   */
  reason?: AccountMailReason;
}

export type AccountMailReason = "sign-up-with-taken-email";

/** The sealing purpose of account mail tokens (sealSecret), shared by accounts and notifications. */
export const ACCOUNT_MAIL_SEAL = "account-mail-token";
