import { createRemoteJWKSet, jwtVerify, type JWTPayload } from "jose";
import { createSubgraphClient, DEFAULT_TOKEN_AUDIENCE, hasControlCharacter, isStorableText, type Config, type Identity, type Role } from "#kernel";
import type { SubjectDirectory } from "./subject-directory.js";
import { createAccountsSubjectDirectory } from "./accounts-subject-directory.js";
import { cachedSubjectDirectory } from "./cached-subject-directory.js";
import { createHs256Verifier } from "./hs256-token.js";
import type { SessionRevocations, TokenSession } from "./session-revocations.js";

const ROLES: readonly Role[] = ["customer", "admin"];

/** The most ACCESS_TOKEN_MAX_LIFETIME_SECONDS allows, for callers that do not say. */
const DEFAULT_MAX_LIFETIME_SECONDS = 86_400;

/**
 * Accounts and the gateway run on different hosts: their clocks may disagree this much. It
 * excuses an `iat` a little ahead of this clock only. `exp` is judged to the second, the one
 * moment HTTP and WebSocket both use: excused here too, a token refused by no HTTP request for
 * 30 s past its expiry was closed on a socket at its expiry (and a socket opened in those 30 s
 * was acknowledged, then closed at once). Clients renew 30 s ahead (the typed client's margin).
 */
const CLOCK_SKEW_SECONDS = 30;

/** Longest user id a token may name (ids are `usr_` and 24 hex digits; room to spare). */
const MAX_SUBJECT_LENGTH = 128;

export class InvalidTokenError extends Error {
  /**
   * Whether the session's refresh token cures it: a token not issued for this deployment (one
   * from before audiences, which every signed-in client holds right after the upgrade). A
   * socket refused for it closes as one whose token stopped being accepted (4401), which
   * clients answer by renewing, rather than as a refusal they give up on (4403).
   */
  constructor(
    message: string,
    readonly renewable = false,
  ) {
    super(message);
  }
}

const EXPIRED = "The access token has expired; renew it with refreshToken, or log in again";
const WRONG_AUDIENCE = "The access token was not issued for this store; renew it with refreshToken, or log in again";

/** A token that passed every check: who it names, its session, and when it stops being accepted. */
export interface VerifiedToken {
  identity: Identity;
  session: TokenSession;
  /** The first moment (ms since the epoch) the verifier refuses the token: what ends a socket it opened. */
  refusedFromMs: number;
}

/**
 * What to tell a caller whose token jose refused. An expired token and a header that holds no
 * token at all (a placeholder, a truncated copy) are the usual first-hour mistakes and each has
 * its own remedy; anything else (another key, another issuer, a key set out of reach) keeps one
 * wording. Short: the same text closes a WebSocket (a close reason holds 123 bytes).
 */
function refusalMessage(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === "ERR_JWT_EXPIRED") return EXPIRED;
  // No `aud`, or another deployment's: a token from before audiences (renewing gives one with
  // it), or one another deployment sharing this key signed.
  if (code === "ERR_JWT_CLAIM_VALIDATION_FAILED" && (error as { claim?: unknown }).claim === "aud") return WRONG_AUDIENCE;
  if (code === "ERR_JWS_INVALID" || code === "ERR_JWT_INVALID") return "That is not an access token: send the accessToken of logIn or signUp, as Bearer <token>";
  return "The access token is invalid or expired";
}

export interface AccessTokenVerifierOptions {
  secret: string;
  jwksUrl?: string;
  issuer: string;
  /** The `aud` a token must name: this deployment's (default `DEFAULT_TOKEN_AUDIENCE`). */
  audience?: string;
  /** Longest lifetime (exp - iat) accepted; default one day. */
  maxLifetimeSeconds?: number;
  /** When given, a token whose subject has no account is refused (production). */
  subjects?: SubjectDirectory;
  /** When given, a token of a session the accounts subgraph ended (log-out, password reset) is refused. */
  revocations?: Pick<SessionRevocations, "hasEnded">;
  /** The current time (tests). */
  now?: () => Date;
  /** Verified tokens remembered at once; the oldest goes first. */
  maxRemembered?: number;
}

/**
 * How long a verified token is taken on its word without checking its signature again. A page
 * sends one token many times, and a signature check costs tens of µs of CPU (an RS256 one
 * far more) against a map lookup. Bounded so a key rotation (JWKS) is honoured within it; a
 * token's own expiry still ends it to the second.
 */
const REMEMBER_VERIFIED_MS = 60_000;

/**
 * Verifies access tokens: RS256 against a JWKS in production, HS256 with a shared secret in
 * development and tests. The token's `sub` is the user id and `roles` its roles.
 *
 * A token must name this deployment in `aud` (a token of another deployment sharing the key is
 * refused), carry `exp` and `iat`, be issued no later than now (give or take the clock
 * skew), and live no longer than `maxLifetimeSeconds`: a signature alone would otherwise
 * make a token without `exp` valid forever. With `subjects`, its user must also exist.
 */
export function createAccessTokenVerifier(options: AccessTokenVerifierOptions) {
  const jwks = options.jwksUrl ? createRemoteJWKSet(new URL(options.jwksUrl)) : undefined;
  // HS256 on node's HMAC, not jose's WebCrypto path (see hs256-token.ts); RS256 stays jose's.
  const hs256 = jwks ? undefined : createHs256Verifier(options.secret);
  const audience = options.audience ?? DEFAULT_TOKEN_AUDIENCE;
  const maxLifetime = options.maxLifetimeSeconds ?? DEFAULT_MAX_LIFETIME_SECONDS;
  const maxRemembered = options.maxRemembered ?? 10_000;
  // Keyed by the whole token: another signature or claim is another key. Only tokens that
  // passed every check below are kept, so a flood of bad ones takes no room.
  const verified = new Map<string, { identity: Identity; session: TokenSession; until: number; refusedFrom: number }>();

  /** The token's claims once its signature, issuer and time claims check out; refuses otherwise. */
  async function verifiedClaims(token: string, now: Date | undefined, nowMs: number): Promise<JWTPayload> {
    let payload: JWTPayload;
    try {
      if (hs256) payload = hs256(token, { issuer: options.issuer, audience, maxTokenAge: maxLifetime, clockTolerance: CLOCK_SKEW_SECONDS }, now);
      else
        ({ payload } = await jwtVerify(token, jwks!, {
          issuer: options.issuer,
          audience,
          algorithms: ["RS256"],
          requiredClaims: ["exp", "iat", "sub"],
          // Also refuses an `iat` in the future, beyond the skew.
          maxTokenAge: maxLifetime,
          clockTolerance: CLOCK_SKEW_SECONDS,
          currentDate: now,
        }));
    } catch (error) {
      const message = refusalMessage(error);
      throw new InvalidTokenError(message, message === WRONG_AUDIENCE);
    }
    if (payload.exp! - payload.iat! > maxLifetime) throw new InvalidTokenError("The access token lives longer than this gateway accepts; sign in again");
    if (nowMs >= refusedFrom(payload)) throw new InvalidTokenError(EXPIRED);
    return payload;
  }

  /**
   * The first moment the token is refused by time: its expiry, to the second, or the lifetime
   * bound past its `iat` (with the skew, as jwtVerify's maxTokenAge judges it). A later `iat`
   * cannot become valid-then-invalid as time moves on.
   */
  const refusedFrom = (payload: JWTPayload) => Math.min(payload.exp!, payload.iat! + maxLifetime + CLOCK_SKEW_SECONDS) * 1000;

  function identityOf(payload: JWTPayload): Identity {
    const userId = payload.sub;
    // The subject travels to every subgraph and into their stores: it must be plain text.
    if (typeof userId !== "string" || userId.length === 0 || userId.length > MAX_SUBJECT_LENGTH || hasControlCharacter(userId) || !isStorableText(userId)) {
      throw new InvalidTokenError("The access token names no user");
    }
    const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is Role => ROLES.includes(r as Role)) : [];
    return { userId, roles: roles.length ? roles : ["customer"] };
  }

  function sessionOf(identity: Identity, payload: JWTPayload): TokenSession {
    return { userId: identity.userId, issuedAt: payload.iat!, sessionId: typeof payload.sid === "string" ? payload.sid : undefined };
  }

  function remember(token: string, identity: Identity, session: TokenSession, refusedFromMs: number, nowMs: number): void {
    verified.set(token, { identity, session, until: Math.min(nowMs + REMEMBER_VERIFIED_MS, refusedFromMs), refusedFrom: refusedFromMs });
    if (verified.size > maxRemembered) verified.delete(verified.keys().next().value!);
  }

  /** Every check, for HTTP and WebSocket alike; a socket ends at `refusedFromMs`, when HTTP starts refusing. */
  const verifyToken = async (token: string): Promise<VerifiedToken> => {
    const now = options.now?.();
    const nowMs = now?.getTime() ?? Date.now();
    const known = verified.get(token);
    let identity: Identity;
    let session: TokenSession;
    let refusedFromMs: number;
    if (known && nowMs < known.until) ({ identity, session, refusedFrom: refusedFromMs } = known);
    else {
      if (known) verified.delete(token);
      const payload = await verifiedClaims(token, now, nowMs);
      identity = identityOf(payload);
      session = sessionOf(identity, payload);
      refusedFromMs = refusedFrom(payload);
      remember(token, identity, session, refusedFromMs, nowMs);
    }
    // Asked every time (from memory nearly always): a log-out or a password reset ends the
    // session's tokens before they expire.
    if (options.revocations && (await options.revocations.hasEnded(session))) throw new InvalidTokenError("This session has ended (logged out, or the password was reset); sign in again");
    // Asked every time: an account closed since the token was verified ends it here.
    if (options.subjects && !(await options.subjects.hasAccount(identity.userId))) throw new InvalidTokenError("The access token's user has no account");
    return { identity: { userId: identity.userId, roles: [...identity.roles] }, session, refusedFromMs };
  };
  const verify = async (token: string): Promise<Identity> => (await verifyToken(token)).identity;
  /** How many verified tokens are remembered now (tests, metrics). */
  return Object.assign(verify, { verifyToken, remembered: () => verified.size });
}

export type AccessTokenVerifier = ReturnType<typeof createAccessTokenVerifier>;

/**
 * The gateway's verifier, from the configuration: the configured lifetime bound everywhere,
 * and in production the subject must have an account (asked of the accounts subgraph,
 * cached). Development and tests skip that check, so tools and tests can mint tokens for
 * made-up users.
 */
export function accessTokenVerifierFor(config: Config, revocations?: SessionRevocations): AccessTokenVerifier {
  const subjects =
    config.env === "production"
      ? cachedSubjectDirectory(
          createAccountsSubjectDirectory(
            createSubgraphClient({ url: config.gateway.subgraphUrls.accounts, audience: "accounts", internalSecret: config.auth.internalSecret, serviceName: "gateway", connections: 4 }),
          ),
        )
      : undefined;
  return createAccessTokenVerifier({
    secret: config.auth.jwtSecret,
    jwksUrl: config.auth.jwksUrl,
    issuer: config.auth.jwtIssuer,
    audience: config.auth.jwtAudience,
    maxLifetimeSeconds: config.auth.accessTokenMaxLifetimeSeconds,
    subjects,
    revocations,
  });
}

// Issuing lives in the kernel, shared with the accounts subgraph; re-exported for existing callers.
export { issueAccessToken } from "#kernel";
