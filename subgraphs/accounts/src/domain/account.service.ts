import { randomBytes, randomUUID } from "node:crypto";
import { countRateLimitRefusal, DomainError, ErrorCode, rateLimited, type AccessTokenIssuer, type Logger } from "#kernel";
import { rolesOf, type AccountRole, type User } from "./user.js";
import { emailAsGiven, emailKey, validEmail, validName, validPassword } from "./account.validation.js";
import { DEFAULT_SCRYPT, hashPassword, verifyPassword, type ScryptParameters } from "./password-hashing.js";
import { createPasswordWorkGate, DEFAULT_PASSWORD_WORK, type PasswordWorkGate } from "./password-work-gate.js";
import { newRefreshToken, newTokenId, parseRefreshToken, secretMatches, successorRefreshToken, type IssuedRefreshToken } from "./refresh-token.js";
import { DuplicateEmailError, type RefreshTokenRecord, type UserStore } from "../ports/user-store.js";
import type { LoginAttempt, LoginThrottle } from "../ports/login-throttle.js";
import type { DeviceProofs } from "./login-device-proof.js";
import { madeWithinSignUpRepeat } from "./sign-up-repeat.js";

/** What signing up, logging in and refreshing hand to the client. */
export interface Session {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: User;
  /** After signing up or logging in, when the service issues device proofs: send it with this client's next logIn. */
  deviceProof?: string;
}

export interface AccountServiceDependencies {
  store: UserStore;
  throttle: LoginThrottle;
  /** Recognises clients that signed in before, for the throttle; without it every client is unknown. */
  deviceProofs?: DeviceProofs;
  tokens: AccessTokenIssuer;
  refreshTokenTtlSeconds: number;
  /**
   * Derives each rotated refresh token from the one it replaces (the same on every replica), so
   * a token presented again within REFRESH_REPLAY_SECONDS of its rotation gets the same
   * successor. Without it, a key of this process's own.
   */
  refreshTokenKey?: string;
  logger: Logger;
  clock?: () => Date;
  hashing?: ScryptParameters;
  /** Every password derivation waits its turn here (shared with the mail service's resets); one of its own without. */
  passwordWork?: PasswordWorkGate;
  /**
   * Ends the access tokens of a session whose refresh tokens were just revoked (a log-out, a
   * refresh token presented twice), so the session ends on every gateway, not only at refresh.
   */
  endSession?: (end: { userId: string; sessionId: string }) => Promise<void>;
  /** Told of each account signUp creates (the verification mail); sign-up does not wait for it. */
  onSignedUp?: (user: User) => void;
  /** Told of a sign-up with an email an account holds (a notice to its owner); sign-up does not wait for it. */
  onSignUpWithTakenEmail?: (email: string, clientAddress?: string) => void;
}

/**
 * How long after its rotation a refresh token presented again is a replay of the same refresh
 * (two tabs of one session renewing at once, a retry of a refresh whose answer was lost) and is
 * answered with the same successor; later, it is a reuse and ends the session. Within it a thief
 * replaying a stolen token gets the successor the customer holds, one live chain whose next
 * reuse by either still ends the session (the "reuse interval" of Auth0 and Okta).
 */
export const REFRESH_REPLAY_SECONDS = 30;

const wrongCredentials = () => new DomainError(ErrorCode.UNAUTHENTICATED, "The email or password is incorrect");
const invalidRefreshToken = () => new DomainError(ErrorCode.UNAUTHENTICATED, "The refresh token is invalid or expired; log in again");
const throttled = (retryAfterSeconds: number) => {
  countRateLimitRefusal("login_failures");
  return rateLimited("failed log-in attempts", retryAfterSeconds);
};

/**
 * Sign-up, log-in and sessions. Guarantees:
 * - passwords are stored as scrypt hashes only, and never logged or returned;
 * - a wrong password and an unknown email fail alike, in message and in time (an unknown
 *   email is still checked against a hash), so log-in does not reveal who has an account;
 * - log-ins are throttled per account from each client address, per account over every
 *   address (a higher ceiling) and per client address (LoginThrottle); a client holding a
 *   live device proof for the account (issued at its last log-in, bound to the account and to
 *   the password it was issued under) is judged by its own budget instead, so nobody can lock
 *   a customer's known device out by failing from elsewhere;
 * - refresh tokens are single-use: each refresh replaces the token, and presenting a used
 *   token again (a stolen copy, or the victim after the thief) revokes its whole family;
 * - a refresh token family is a session, named in its access tokens (`sid`): logging out or
 *   revoking the family ends those access tokens too (`endSession`), not only the refresh;
 * - a sign-up sent again (a double click, a lost answer) signs in the account its first try
 *   made, and only with that password, under the log-in throttle; any other sign-up with a
 *   taken email is CONFLICT.
 */
export function createAccountService(deps: AccountServiceDependencies) {
  const { store, throttle, tokens, logger } = deps;
  const clock = deps.clock ?? (() => new Date());
  const hashing = deps.hashing ?? DEFAULT_SCRYPT;
  const passwordWork = deps.passwordWork ?? createPasswordWorkGate(DEFAULT_PASSWORD_WORK);
  const refreshKey = deps.refreshTokenKey ?? randomBytes(32).toString("base64url");
  let decoyHash: Promise<string> | undefined;
  const decoy = () => (decoyHash ??= hashPassword(randomBytes(16).toString("hex"), hashing));

  /**
   * A new session for `user` holding the password hash the caller checked: stored only while it
   * is still the user's, so a reset racing a log-in wins.
   */
  async function startSession(user: User, passwordHash: string, now = clock()): Promise<Session> {
    const familyId = newTokenId("fam");
    const refresh = newRefreshToken();
    if (!(await store.beginSession(refreshRecord(refresh, user.id, familyId, now), passwordHash))) throw wrongCredentials();
    return sessionWith(user, familyId, refresh, now);
  }

  function refreshRecord(refresh: IssuedRefreshToken, userId: string, familyId: string, now: Date): RefreshTokenRecord {
    return {
      id: refresh.id,
      userId,
      familyId,
      tokenHash: refresh.tokenHash,
      expiresAt: new Date(now.getTime() + deps.refreshTokenTtlSeconds * 1000),
      createdAt: now,
      usedAt: null,
      revokedAt: null,
    };
  }

  /**
   * The answer for a session the store found live at `now`: its access token carries the
   * family's id (sid), so ending the family ends it, and is born at `now`, so a reset ending
   * every session after that covers it even if signing it waited past the reset.
   */
  async function sessionWith(user: User, familyId: string, refresh: IssuedRefreshToken, now: Date): Promise<Session> {
    const access = await tokens.issue({ userId: user.id, roles: rolesOf(user), sessionId: familyId, issuedAt: now });
    return { accessToken: access.token, expiresIn: access.expiresIn, refreshToken: refresh.token, user };
  }

  /**
   * A used token presented again: within REFRESH_REPLAY_SECONDS of its rotation, and while its
   * successor is unused and live, the same successor again (with a new access token); otherwise
   * a reuse, which ends the session.
   */
  async function replay(presented: { id: string; secret: string }, now: Date): Promise<Session> {
    // Read again: a rotation that beat ours committed between our read and our write.
    const used = await store.findRefreshToken(presented.id);
    if (!used) throw invalidRefreshToken();
    const withinReplay = used.usedAt !== null && !used.revokedAt && now.getTime() - used.usedAt.getTime() <= REFRESH_REPLAY_SECONDS * 1000;
    const successor = successorRefreshToken(presented, refreshKey);
    const next = withinReplay ? await store.findRefreshToken(successor.id) : null;
    const live = next && next.familyId === used.familyId && next.userId === used.userId && !next.usedAt && !next.revokedAt && next.expiresAt > now && next.tokenHash === successor.tokenHash;
    const user = live ? (await store.findUsersByIds([used.userId])).get(used.userId) : undefined;
    if (!user) {
      await revokeFamily(used, used.revokedAt ? "revoked refresh token presented" : "used refresh token presented again");
      throw invalidRefreshToken();
    }
    logger.info("refresh_token_replayed", { userId: used.userId, familyId: used.familyId });
    return sessionWith(user, used.familyId, successor, now);
  }

  async function admit(attempt: LoginAttempt): Promise<void> {
    const decision = await throttle.check(attempt);
    if (!decision.allowed) throw throttled(decision.retryAfterSeconds);
  }

  async function revokeFamily(record: RefreshTokenRecord, reason: string): Promise<void> {
    const revoked = await store.revokeRefreshFamily(record, clock());
    logger.warn("refresh_token_family_revoked", { userId: record.userId, familyId: record.familyId, reason, revoked });
    await deps.endSession?.({ userId: record.userId, sessionId: record.familyId });
  }

  async function createAccount(input: { email: string; password: string; name: string; role: AccountRole }, clientAddress?: string): Promise<{ user: User; passwordHash: string }> {
    const email = validEmail(input.email);
    const name = validName(input.name);
    const password = validPassword(input.password);
    const passwordHash = await passwordWork.run(clientAddress, () => hashPassword(password, hashing));
    const id = `usr_${randomUUID().replaceAll("-", "").slice(0, 24)}`;
    return { user: await store.createUser({ id, email, emailKey: emailKey(email), name, role: input.role, passwordHash, createdAt: clock() }), passwordHash };
  }

  /**
   * A sign-up whose email is taken, when it is the account's own sign-up sent again (its answer
   * lost, a double click): the account was made within SIGN_UP_REPEAT_WINDOW_MS and the
   * password is the one it was made with. That repeat signs the account in, as the first try
   * did; anything else is undefined (CONFLICT, as before). The password is checked as a log-in
   * checks it, through the log-in throttle, so sign-up is no unthrottled way to guess the
   * password of a new account; and for every taken email, against a decoy for an older account,
   * so neither the answer nor its time tells someone without the password how old an account is.
   */
  async function signInRepeatedSignUp(input: { email: string; password: string }, clientAddress?: string): Promise<Session | undefined> {
    const account = emailKey(validEmail(input.email));
    const attempt: LoginAttempt = { account, address: clientAddress };
    if (!(await throttle.check(attempt)).allowed) return undefined;
    const now = clock();
    const found = await store.findCredentials(account);
    const repeat = found !== null && madeWithinSignUpRepeat(found.user, now) ? found : null;
    const matches = await passwordWork.run(clientAddress, async () => verifyPassword(input.password, repeat?.passwordHash ?? (await decoy())));
    if (!matches || !repeat) {
      await throttle.recordFailure(attempt);
      return undefined;
    }
    await throttle.recordSuccess(attempt);
    logger.info("sign_up_repeated", { userId: repeat.user.id });
    const session = await startSession(repeat.user, repeat.passwordHash, now);
    return { ...session, deviceProof: deps.deviceProofs?.issue(account, repeat.passwordHash, now) };
  }

  return {
    findByIds: (ids: readonly string[]) => store.findUsersByIds(ids),

    async signUp(input: { email: string; password: string; name: string }, clientAddress?: string): Promise<Session> {
      let user: User, passwordHash: string;
      try {
        ({ user, passwordHash } = await createAccount({ ...input, role: "customer" }, clientAddress));
      } catch (error) {
        if (!(error instanceof DuplicateEmailError)) throw error;
        const repeated = await signInRepeatedSignUp(input, clientAddress);
        if (repeated) return repeated;
        // Sign-up signs in at once, so its answer cannot hide a taken email (a session it
        // could not give, or a log-in with the chosen password, would tell); the owner is told
        // instead, so probing an address is seen by whoever reads its mail.
        deps.onSignUpWithTakenEmail?.(input.email, clientAddress);
        throw new DomainError(ErrorCode.CONFLICT, "An account with this email already exists: log in, or ask for a password reset", { field: "email" });
      }
      logger.info("account_created", { userId: user.id });
      deps.onSignedUp?.(user);
      const session = await startSession(user, passwordHash);
      return { ...session, deviceProof: deps.deviceProofs?.issue(emailKey(user.email), passwordHash, clock()) };
    },

    async logIn(email: string, password: string, clientAddress?: string, deviceProof?: string | null): Promise<Session> {
      // Well-formed, as given: an account made under an earlier rule for new addresses still
      // signs in. A spelling no account has finds none (keys compare exactly).
      const account = emailKey(emailAsGiven(email));
      const now = clock();
      // A proof that is not this account's, forged or expired counts for nothing: an unknown client.
      const device = deviceProof ? (deps.deviceProofs?.verify(deviceProof, account, now) ?? null) : null;
      let attempt: LoginAttempt = { account, address: clientAddress, device: device?.deviceId };
      await admit(attempt);
      const found = await store.findCredentials(account);
      if (device && !(found && deps.deviceProofs!.issuedUnder(device, found.passwordHash))) {
        // Issued under a password since reset: judged as the unknown client it now is.
        attempt = { account, address: clientAddress };
        await admit(attempt);
      }
      // Hash something even for an unknown email, so timing does not tell them apart.
      const matches = (await passwordWork.run(clientAddress, async () => verifyPassword(password, found?.passwordHash ?? (await decoy())))) && found !== null && password.length <= 128;
      if (!matches) {
        await throttle.recordFailure(attempt);
        logger.info("login_failed", { userId: found?.user.id });
        throw wrongCredentials();
      }
      await throttle.recordSuccess(attempt);
      logger.info("login_succeeded", { userId: found.user.id, knownDevice: attempt.device !== undefined });
      const session = await startSession(found.user, found.passwordHash);
      // A known device keeps its id (and its count), with a renewed expiry.
      return { ...session, deviceProof: deps.deviceProofs?.issue(account, found.passwordHash, now, attempt.device) };
    },

    async refresh(token: string): Promise<Session> {
      const parsed = parseRefreshToken(token);
      const record = parsed ? await store.findRefreshToken(parsed.id) : null;
      if (!parsed || !record || !secretMatches(parsed.secret, record.tokenHash)) throw invalidRefreshToken();
      // One reading of the clock for the checks and the rotation: read twice, a token a moment
      // from its expiry passed the first and failed the second, which took it for a
      // concurrent use and ended the session.
      const now = clock();
      if (record.usedAt || record.revokedAt) return replay(parsed, now);
      if (record.expiresAt <= now) throw invalidRefreshToken();
      const user = (await store.findUsersByIds([record.userId])).get(record.userId);
      if (!user) throw invalidRefreshToken();
      const successor = successorRefreshToken(parsed, refreshKey);
      // Lost to a rotation of the same token between our read and our write: a replay of it.
      if (!(await store.rotateRefreshToken(record.id, refreshRecord(successor, user.id, record.familyId, now), now))) return replay(parsed, now);
      return sessionWith(user, record.familyId, successor, now);
    },

    /**
     * Ends the token's session. True whenever the token is one this service issued (its secret
     * matches): its session is ended once this answers, whether by this call or an earlier one,
     * so a log-out sent again after its answer was lost answers as the first try did. False only
     * for a token it does not know, which ends nothing. The holder of a token learns nothing a
     * refresh would not tell them. A token already revoked ends its session's access tokens
     * again: a log-out whose refresh tokens were revoked but whose end could not be recorded
     * (the key-value store down) failed, and its retry must finish the job.
     */
    async logOut(token: string): Promise<boolean> {
      const parsed = parseRefreshToken(token);
      const record = parsed ? await store.findRefreshToken(parsed.id) : null;
      if (!parsed || !record || !secretMatches(parsed.secret, record.tokenHash)) return false;
      const revoked = record.revokedAt ? 0 : await store.revokeRefreshFamily(record, clock());
      logger.info("logged_out", { userId: record.userId, familyId: record.familyId, revoked });
      // This device's session only: its access tokens too, on every gateway; other devices stay signed in.
      await deps.endSession?.({ userId: record.userId, sessionId: record.familyId });
      return true;
    },

    /** Creates the account unless its email is taken (the development admin seed). */
    async ensureAccount(input: { email: string; password: string; name: string; role: AccountRole }): Promise<{ user: User; created: boolean }> {
      const existing = await store.findCredentials(emailKey(input.email));
      if (existing) return { user: existing.user, created: false };
      try {
        return { user: (await createAccount(input)).user, created: true };
      } catch (error) {
        if (!(error instanceof DuplicateEmailError)) throw error;
        const winner = await store.findCredentials(emailKey(input.email));
        return { user: winner!.user, created: false };
      }
    },
  };
}

export type AccountService = ReturnType<typeof createAccountService>;
