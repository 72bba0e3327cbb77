import { countRateLimitRefusal, DomainError, ErrorCode, rateLimited, unauthenticated, type AccountMailReason, type Logger } from "#kernel";
import { emailAsGiven, emailKey, validEmail, validPassword } from "./account.validation.js";
import { DEFAULT_SCRYPT, hashPassword, verifyPassword, type ScryptParameters } from "./password-hashing.js";
import { createPasswordWorkGate, DEFAULT_PASSWORD_WORK, type PasswordWorkGate } from "./password-work-gate.js";
import { newAccountToken, presentedTokenHash, type AccountTokenPurpose } from "./account-token.js";
import { madeWithinSignUpRepeat } from "./sign-up-repeat.js";
import type { UserStore } from "../ports/user-store.js";
import type { LoginThrottle } from "../ports/login-throttle.js";
import type { AccountMailer } from "../ports/account-mailer.js";

export interface AccountMailServiceDependencies {
  store: UserStore;
  mailer: AccountMailer;
  /** Counts mail requests per account (email key or user id) and per client address. */
  throttle: LoginThrottle;
  /** The log-in throttle: a reset forgives the account's failed log-ins, or its owner stays locked out. */
  loginThrottle?: LoginThrottle;
  logger: Logger;
  passwordResetTtlMinutes: number;
  emailVerificationTtlHours: number;
  /**
   * How long a mailed, still unused link answers a new request for a link of its purpose: a
   * double click, a second tab or a resend after a lost answer comes within seconds, and mailing
   * each would leave the customer two mails and two working links. 0 mails every request.
   */
  repeatWindowSeconds: number;
  clock?: () => Date;
  hashing?: ScryptParameters;
  /** Every password derivation waits its turn here (shared with the account service); one of its own without. */
  passwordWork?: PasswordWorkGate;
  /** Ends every access token of the user issued so far (the reset's "ends every session"). */
  endEverySession?: (userId: string) => Promise<void>;
}


/** One answer for an unknown, used or expired token: which one it was helps only an attacker. */
/**
 * Longer than handing a mail over can take (the event bus gives up on a publish after 5 s): a
 * link still unmarked this long after it was stored was lost with its process before its mail
 * went out. A hand-over slower than this lets a repeat mail a second link, both valid.
 */
const HAND_OVER_MS = 15_000;

const invalidToken = () => new DomainError(ErrorCode.INVALID_TOKEN, "This link is invalid or has expired; ask for a new one");

/**
 * Password reset and email verification by one-time links. Guarantees:
 * - requestPasswordReset answers the same, in the same time, whether or not the email has an
 *   account: after the input check and the throttle it answers at once, and looking the
 *   account up, storing the token and handing the mail over happen afterwards;
 * - the link goes to the account's stored address, never to the text typed in the request;
 * - tokens are 256 random bits, stored as hashes, used once, and expire;
 * - a reset changes the password, ends every session (refresh token) of the account and uses
 *   up its other reset links, in one store transaction; two resets racing with one token:
 *   exactly one wins; then every access token issued before it is refused (endEverySession,
 *   also called before the change, so a failure to record the later end leaves none of the
 *   sessions from before the reset alive);
 * - requests are throttled per account and per client address, counted before any work;
 * - a request repeated within the repeat window while the link mailed for the first
 *   is unused answers as the first did and mails nothing (mailLink), however the requests race.
 */
export function createAccountMailService(deps: AccountMailServiceDependencies) {
  const { store, mailer, throttle, logger } = deps;
  const clock = deps.clock ?? (() => new Date());
  const hashing = deps.hashing ?? DEFAULT_SCRYPT;
  const passwordWork = deps.passwordWork ?? createPasswordWorkGate(DEFAULT_PASSWORD_WORK);
  const lifetimeMs: Record<AccountTokenPurpose, number> = {
    PASSWORD_RESET: deps.passwordResetTtlMinutes * 60_000,
    EMAIL_VERIFICATION: deps.emailVerificationTtlHours * 3_600_000,
  };
  const background = new Set<Promise<void>>();

  /** Work the caller must not wait for (or time): failures are logged, never answered. */
  function afterAnswering(what: string, work: () => Promise<void>): void {
    const task: Promise<void> = work()
      .catch((error: unknown) => logger.error("account_mail_failed", { what, error: String(error) }))
      .finally(() => background.delete(task));
    background.add(task);
  }

  async function spendBudget(account: string, clientAddress: string | undefined): Promise<void> {
    const decision = await throttle.consume({ account, address: clientAddress });
    if (!decision.allowed) {
      countRateLimitRefusal("account_mail");
      throw rateLimited("account email requests", decision.retryAfterSeconds);
    }
  }

  /**
   * Mails a new link, unless one of its purpose went out within the repeat window and
   * is still unused: a double click, two tabs or a resend after a lost answer mail one link, and
   * the one mailed stays valid. A link whose mail could not be handed over is dropped, so asking
   * again mails at once; one whose process stopped between storing it and the hand-over is
   * never marked mailed, and holds the next mail back for HAND_OVER_MS at most.
   */
  async function mailLink(purpose: AccountTokenPurpose, userId: string, reason?: AccountMailReason): Promise<void> {
    const now = clock();
    const { token, tokenHash } = newAccountToken();
    const expiresAt = new Date(now.getTime() + lifetimeMs[purpose]);
    const record = { tokenHash, userId, purpose, expiresAt, createdAt: now, usedAt: null };
    if (deps.repeatWindowSeconds === 0) await store.insertAccountToken(record);
    else if (!(await store.insertAccountTokenUnlessRecent(record, new Date(now.getTime() - deps.repeatWindowSeconds * 1000), new Date(now.getTime() - HAND_OVER_MS)))) {
      logger.info("account_mail_repeat_skipped", { userId, purpose, reason });
      return;
    }
    try {
      await mailer.send({ purpose, userId, token, expiresAt, ...(reason ? { reason } : {}) });
    } catch (error) {
      await store.dropAccountToken(tokenHash).catch(() => undefined);
      throw error;
    }
    // Not marked, the link would be taken for one lost with its process once HAND_OVER_MS has
    // passed, and a repeat would mail a second (valid) link: a failed mark costs no more.
    await store.markAccountTokenMailed(tokenHash, clock()).catch((error: unknown) => logger.warn("account_mail_mark_failed", { userId, purpose, error: String(error) }));
    logger.info("account_mail_requested", { userId, purpose, reason });
  }

  /**
   * A reset link sent again with the password it set (the answer to its use lost, a double
   * click): true again, changing nothing, while the link is within its lifetime and that password
   * is still the account's. The password is checked as a log-in checks it, under the log-in
   * throttle, so a used link is no unthrottled way to guess the password set with it; anything
   * else is INVALID_TOKEN, as for any used link.
   */
  async function answerRepeatedReset(tokenHash: string, password: string, now: Date, clientAddress?: string): Promise<true> {
    const used = await store.findAccountToken(tokenHash, "PASSWORD_RESET");
    const user = used?.usedAt && used.expiresAt > now ? (await store.findUsersByIds([used.userId])).get(used.userId) : undefined;
    if (!user || !deps.loginThrottle) throw invalidToken();
    const attempt = { account: emailKey(user.email), address: clientAddress };
    if (!(await deps.loginThrottle.check(attempt)).allowed) throw invalidToken();
    const credentials = await store.findCredentials(attempt.account);
    const matches = credentials !== null && credentials.user.id === user.id && (await passwordWork.run(clientAddress, () => verifyPassword(password, credentials.passwordHash)));
    if (!matches) {
      await deps.loginThrottle.recordFailure(attempt);
      throw invalidToken();
    }
    logger.info("password_reset_repeated", { userId: user.id });
    return true;
  }

  return {
    /** Always true for a well-formed email (BAD_USER_INPUT otherwise); RATE_LIMITED past the budget. */
    async requestPasswordReset(email: string, clientAddress?: string): Promise<true> {
      const key = emailKey(emailAsGiven(email));
      await spendBudget(`reset:${key}`, clientAddress);
      afterAnswering("password reset", async () => {
        const found = await store.findCredentials(key);
        if (found) await mailLink("PASSWORD_RESET", found.user.id);
      });
      return true;
    },

    /**
     * Someone tried to sign up with `email`, which an account holds: its owner is mailed a
     * reset link saying so (the sign-up page cannot tell them: it would tell anyone), drawn on
     * the email's and the network's reset budget, so sign-ups cannot flood a mailbox; past it,
     * or for an account made within SIGN_UP_REPEAT_WINDOW_MS (its own sign-up sent twice),
     * nothing is mailed. The caller never waits for it.
     */
    noticeSignUpWithTakenEmail(email: string, clientAddress?: string): void {
      afterAnswering("taken email notice", async () => {
        const key = emailKey(emailAsGiven(email));
        const found = await store.findCredentials(key);
        if (!found || madeWithinSignUpRepeat(found.user, clock())) return;
        const decision = await throttle.consume({ account: `reset:${key}`, address: clientAddress });
        if (!decision.allowed) return void logger.info("taken_email_notice_skipped", { userId: found.user.id, reason: "budget" });
        await mailLink("PASSWORD_RESET", found.user.id, "sign-up-with-taken-email");
      });
    },

    async resetPassword(token: string, newPassword: string, clientAddress?: string): Promise<true> {
      const password = validPassword(newPassword);
      const tokenHash = presentedTokenHash(token);
      // Checked before hashing, so a stream of made-up tokens costs no scrypt work.
      // One reading of the clock for the check and the use: a link live at the check is not
      // refused as expired by the use after the sessions were already ended for it.
      const now = clock();
      const link = tokenHash ? await store.findLiveAccountToken(tokenHash, "PASSWORD_RESET", now) : null;
      if (!tokenHash) throw invalidToken();
      if (!link) return answerRepeatedReset(tokenHash, password, now, clientAddress);
      const passwordHash = await passwordWork.run(clientAddress, () => hashPassword(password, hashing));
      // The access tokens end before the change as well as after it: the change uses the link
      // up, so when the end after it cannot be recorded (the key-value store down) the customer
      // cannot retry, and only this end keeps the sessions the reset is for from living on.
      await deps.endEverySession?.(link.userId);
      const userId = await store.resetPassword(tokenHash, passwordHash, now);
      // Used since the check: by a twin of this very reset (a double click), or another.
      if (!userId) return answerRepeatedReset(tokenHash, password, now, clientAddress);
      logger.info("password_reset", { userId });
      // The refresh tokens went in the reset's transaction; this ends access tokens of sessions begun since the first end.
      await deps.endEverySession?.(userId);
      const user = (await store.findUsersByIds([userId])).get(userId);
      if (user) await deps.loginThrottle?.forgiveAccount({ account: emailKey(user.email), address: clientAddress });
      return true;
    },

    /** The verification mail of a new account; sign-up does not wait for it. */
    mailVerification(userId: string): void {
      afterAnswering("email verification", () => mailLink("EMAIL_VERIFICATION", userId));
    },

    /** True when a link was mailed (by this request, or by its repeat within the window); false when the address is verified already. */
    async resendVerification(userId: string, clientAddress?: string): Promise<boolean> {
      const user = (await store.findUsersByIds([userId])).get(userId);
      if (!user) throw unauthenticated("Sign in again: this account no longer exists");
      if (user.emailVerifiedAt) return false;
      await spendBudget(`verify:${userId}`, clientAddress);
      await mailLink("EMAIL_VERIFICATION", userId);
      return true;
    },

    /**
     * Verifies the email with a live link. The link opened again within its lifetime (a double
     * click, a reload, a retry after a lost answer) answers true again while the email stays
     * verified: its first use did what the link is for, and only its holder can ask.
     */
    async verifyEmail(token: string): Promise<true> {
      const tokenHash = presentedTokenHash(token);
      if (!tokenHash) throw invalidToken();
      const now = clock();
      const userId = await store.verifyEmail(tokenHash, now);
      if (userId) {
        logger.info("email_verified", { userId });
        return true;
      }
      const used = await store.findAccountToken(tokenHash, "EMAIL_VERIFICATION");
      if (!used?.usedAt || used.expiresAt <= now) throw invalidToken();
      const user = (await store.findUsersByIds([used.userId])).get(used.userId);
      if (!user?.emailVerifiedAt) throw invalidToken();
      return true;
    },

    /** Resolves once the mail work started so far has finished (tests, shutdown). */
    async settled(): Promise<void> {
      while (background.size > 0) await Promise.all([...background]);
    },
  };
}

export type AccountMailService = ReturnType<typeof createAccountMailService>;
