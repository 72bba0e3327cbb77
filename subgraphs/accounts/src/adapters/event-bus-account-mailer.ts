import { ACCOUNT_MAIL_SEAL, AccountMailEventTypes, newEvent, sealSecret, Topics, type AccountMailRequestedPayload, type EventBus } from "#kernel";
import type { AccountMailer } from "../ports/account-mailer.js";

const EVENT_TYPE = {
  PASSWORD_RESET: AccountMailEventTypes.passwordResetRequested,
  EMAIL_VERIFICATION: AccountMailEventTypes.emailVerificationRequested,
} as const;

/**
 * Account mail as events on `accounts.mail`, keyed by user id, the token sealed with the
 * internal secret. Published straight to the bus, not through a database outbox: the token
 * row is the only state, and a request lost with a broker outage costs the user a second
 * click ("send again"), never a wrong or duplicated account change.
 */
export function createEventBusAccountMailer(deps: { bus: EventBus; internalSecret: string }): AccountMailer {
  return {
    async send({ purpose, userId, token, expiresAt, reason }) {
      const payload: AccountMailRequestedPayload = { userId, sealedToken: sealSecret(deps.internalSecret, ACCOUNT_MAIL_SEAL, token), expiresAt: expiresAt.toISOString(), ...(reason ? { reason } : {}) };
      await deps.bus.publish(Topics.accountMail, [newEvent(EVENT_TYPE[purpose], userId, payload)]);
    },
  };
}
