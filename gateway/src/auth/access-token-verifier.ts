import { createRemoteJWKSet, jwtVerify, type JWTPayload } from "jose";
import { createSubgraphClient, hasControlCharacter, isStorableText, type Config, type Identity, type Role } from "#kernel";
import type { SubjectDirectory } from "./subject-directory.js";
import { createAccountsSubjectDirectory } from "./accounts-subject-directory.js";
import { cachedSubjectDirectory } from "./cached-subject-directory.js";

const ROLES: readonly Role[] = ["customer", "admin"];

/** The most ACCESS_TOKEN_MAX_LIFETIME_SECONDS allows, for callers that do not say. */
const DEFAULT_MAX_LIFETIME_SECONDS = 86_400;

/** Accounts and the gateway run on different hosts: their clocks may disagree this much. */
const CLOCK_SKEW_SECONDS = 30;

/** Longest user id a token may name (ids are `usr_` and 24 hex digits; room to spare). */
const MAX_SUBJECT_LENGTH = 128;

export class InvalidTokenError extends Error {}

export interface AccessTokenVerifierOptions {
  secret: string;
  jwksUrl?: string;
  issuer: string;
  /** Longest lifetime (exp - iat) accepted; default one day. */
  maxLifetimeSeconds?: number;
  /** When given, a token whose subject has no account is refused (production). */
  subjects?: SubjectDirectory;
  /** The current time (tests). */
  now?: () => Date;
}

/**
 * Verifies access tokens: RS256 against a JWKS in production, HS256 with a shared secret in
 * development and tests. The token's `sub` is the user id and `roles` its roles.
 *
 * A token must carry `exp` and `iat`, be issued no later than now (give or take the clock
 * skew), and live no longer than `maxLifetimeSeconds`: a signature alone would otherwise
 * make a token without `exp` valid forever. With `subjects`, its user must also exist.
 */
export function createAccessTokenVerifier(options: AccessTokenVerifierOptions) {
  const key = options.jwksUrl ? createRemoteJWKSet(new URL(options.jwksUrl)) : new TextEncoder().encode(options.secret);
  const algorithms = options.jwksUrl ? ["RS256"] : ["HS256"];
  const maxLifetime = options.maxLifetimeSeconds ?? DEFAULT_MAX_LIFETIME_SECONDS;
  return async (token: string): Promise<Identity> => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key as Uint8Array, {
        issuer: options.issuer,
        algorithms,
        requiredClaims: ["exp", "iat", "sub"],
        // Also refuses an `iat` in the future, beyond the skew.
        maxTokenAge: maxLifetime,
        clockTolerance: CLOCK_SKEW_SECONDS,
        currentDate: options.now?.(),
      }));
    } catch {
      throw new InvalidTokenError("The access token is invalid or expired");
    }
    if (payload.exp! - payload.iat! > maxLifetime) throw new InvalidTokenError("The access token lives longer than this gateway accepts; sign in again");
    const userId = payload.sub;
    // The subject travels to every subgraph and into their stores: it must be plain text.
    if (typeof userId !== "string" || userId.length === 0 || userId.length > MAX_SUBJECT_LENGTH || hasControlCharacter(userId) || !isStorableText(userId)) {
      throw new InvalidTokenError("The access token names no user");
    }
    if (options.subjects && !(await options.subjects.hasAccount(userId))) throw new InvalidTokenError("The access token's user has no account");
    const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is Role => ROLES.includes(r as Role)) : [];
    return { userId, roles: roles.length ? roles : ["customer"] };
  };
}

export type AccessTokenVerifier = ReturnType<typeof createAccessTokenVerifier>;

/**
 * The gateway's verifier, from the configuration: the configured lifetime bound everywhere,
 * and in production the subject must have an account (asked of the accounts subgraph,
 * cached). Development and tests skip that check, so tools and tests can mint tokens for
 * made-up users.
 */
export function accessTokenVerifierFor(config: Config): AccessTokenVerifier {
  const subjects =
    config.env === "production"
      ? cachedSubjectDirectory(
          createAccountsSubjectDirectory(
            createSubgraphClient({ url: config.gateway.subgraphUrls.accounts, internalSecret: config.auth.internalSecret, serviceName: "gateway", connections: 4 }),
          ),
        )
      : undefined;
  return createAccessTokenVerifier({
    secret: config.auth.jwtSecret,
    jwksUrl: config.auth.jwksUrl,
    issuer: config.auth.jwtIssuer,
    maxLifetimeSeconds: config.auth.accessTokenMaxLifetimeSeconds,
    subjects,
  });
}

// Issuing lives in the kernel, shared with the accounts subgraph; re-exported for existing callers.
export { issueAccessToken } from "#kernel";
