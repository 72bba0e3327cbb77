import { AccountMailEventTypes, type AccountMailRequestedPayload, type DomainEvent } from "#kernel";
import { MalformedEventError } from "./malformed-event-error.js";
import type { NotificationDraft } from "./notification.js";

/** How account mail builds its links: the storefront's base URL, and the way to open a sealed token. */
export interface AccountLinks {
  baseUrl: string;
  /** The token, or undefined when the value was not sealed by accounts with our secret. */
  openToken(sealed: string): string | undefined;
}

/**
 * The password-reset and verification emails. The token goes after `#` in the link: browsers
 * never send a fragment to a server, so it stays out of access logs and Referer headers.
 */
export function draftAccountMail(event: DomainEvent, links: AccountLinks): NotificationDraft {
  const p = event.payload as Partial<AccountMailRequestedPayload> | null;
  const expiresAt = typeof p?.expiresAt === "string" ? Date.parse(p.expiresAt) : NaN;
  const token = typeof p?.sealedToken === "string" ? links.openToken(p.sealedToken) : undefined;
  if (typeof p?.userId !== "string" || Number.isNaN(expiresAt) || token === undefined) {
    throw new MalformedEventError(`${event.type} ${event.id} lacks userId, expiresAt or a token sealed for us`);
  }
  const valid = validFor(expiresAt - Date.parse(event.occurredAt));
  if (event.type === AccountMailEventTypes.passwordResetRequested) {
    const link = `${links.baseUrl}/reset-password#token=${token}`;
    if (p.reason === "sign-up-with-taken-email") {
      return {
        kind: "PASSWORD_RESET",
        userId: p.userId,
        emailOnly: true,
        subject: "Someone tried to create a Storefront account with your email",
        text: `Someone tried to create a Storefront account with this email address, which already has one. If it was you, log in; if you forgot your password, choose a new one with this link within ${valid}:\n\n${link}\n\nThe link works once. If it was not you, ignore this email: your account and password stay as they are.`,
      };
    }
    return {
      kind: "PASSWORD_RESET",
      userId: p.userId,
      emailOnly: true,
      subject: "Reset your Storefront password",
      text: `Someone asked to reset the password of your Storefront account. To choose a new one, open this link within ${valid}:\n\n${link}\n\nThe link works once. If it was not you, ignore this email: your password stays as it is.`,
    };
  }
  const link = `${links.baseUrl}/verify-email#token=${token}`;
  return {
    kind: "EMAIL_VERIFICATION",
    userId: p.userId,
    emailOnly: true,
    subject: "Confirm your email address",
    text: `Please confirm that this is the email address of your Storefront account by opening this link within ${valid}:\n\n${link}\n\nIf you did not create an account, ignore this email.`,
  };
}

function validFor(ms: number): string {
  const minutes = Math.max(1, Math.round(ms / 60_000));
  if (minutes === 1) return "a minute";
  if (minutes < 120) return `${minutes} minutes`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} hours` : `${Math.round(hours / 24)} days`;
}
