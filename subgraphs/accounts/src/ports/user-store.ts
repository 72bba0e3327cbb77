import type { Address, AddressFields, AccountRole, User } from "../domain/user.js";
import type { AccountTokenPurpose } from "../domain/account-token.js";

export interface NewUser {
  id: string;
  email: string;
  /** Lower-cased email: the store refuses a second account with the same key. */
  emailKey: string;
  name: string;
  role: AccountRole;
  passwordHash: string;
  createdAt: Date;
}

export interface RefreshTokenRecord {
  id: string;
  userId: string;
  familyId: string;
  tokenHash: string;
  expiresAt: Date;
  createdAt: Date;
  /** Set when the token was exchanged for its successor. */
  usedAt: Date | null;
  revokedAt: Date | null;
}

/** A one-time token mailed to the user; the store knows only its hash. */
export interface AccountTokenRecord {
  tokenHash: string;
  userId: string;
  purpose: AccountTokenPurpose;
  expiresAt: Date;
  createdAt: Date;
  usedAt: Date | null;
}

/**
 * Points where a store waits for its caller, so a test can run another operation at the most
 * dangerous moment of a multi-step write instead of hoping a race lands there. Production
 * passes none (an absent hook is one property read).
 */
export interface UserStorePausePoints {
  /**
   * Inside a refresh-token rotation, while it holds what it holds: on MySQL between marking the
   * used token and storing its successor (one transaction, two statements); in memory before
   * the rotation's check and write, which run without an await between them.
   */
  duringRotation?: () => Promise<void>;
}

export class DuplicateEmailError extends Error {
  constructor() {
    super("An account with this email already exists");
  }
}

/**
 * The accounts role: users, their addresses, refresh tokens. Guarantees:
 * - an email key belongs to at most one user, even under concurrent sign-ups
 *   (createUser throws DuplicateEmailError);
 * - every address operation is scoped by owner: another user's address id behaves exactly
 *   like an id that does not exist (null / false), so callers cannot tell them apart;
 * - a user's default address is always one of their own addresses, or none; removing it
 *   clears the default;
 * - rotating a refresh token succeeds at most once per token, however many callers race;
 * - a one-time account token is used at most once, however many callers race, and never
 *   after it expired; a password reset changes the password, uses up every reset token of
 *   the user and revokes every refresh token in one step, so no old session outlives it.
 */
export interface UserStore {
  readonly engine: string;
  createUser(user: NewUser): Promise<User>;
  findUsersByIds(ids: readonly string[]): Promise<Map<string, User>>;
  /** The user and password hash for a log-in, by email key. */
  findCredentials(emailKey: string): Promise<{ user: User; passwordHash: string } | null>;

  /** Addresses of each user, oldest first; users without addresses map to []. */
  listAddresses(userIds: readonly string[]): Promise<Map<string, Address[]>>;
  /**
   * Adds an address unless the user keeps `limit` already (null then, nothing written): the
   * count is judged with the user locked, so concurrent adds never take a user past it. The
   * address becomes the default when asked, or when the user has none. One the user keeps
   * already (the same reading, `sameAddress`) is answered instead of a twin, made the default
   * when asked; judged under the same lock, so twenty identical adds at once keep one address.
   */
  addAddress(userId: string, address: AddressFields & { id: string; createdAt: Date }, makeDefault: boolean, limit: number): Promise<Address | null>;
  updateAddress(userId: string, addressId: string, changes: Partial<AddressFields>, now: Date): Promise<Address | null>;
  removeAddress(userId: string, addressId: string): Promise<boolean>;
  setDefaultAddress(userId: string, addressId: string): Promise<Address | null>;
  defaultAddress(userId: string): Promise<Address | null>;
  countAddresses(userId: string): Promise<number>;

  insertRefreshToken(token: RefreshTokenRecord): Promise<void>;
  /**
   * Stores the first token of a new family (a log-in's session) only while the user's password
   * hash is still `passwordHash`, the one the log-in checked; false otherwise (a password reset
   * came between the check and now, or the user is gone), and nothing is stored.
   */
  beginSession(first: RefreshTokenRecord, passwordHash: string): Promise<boolean>;
  findRefreshToken(id: string): Promise<RefreshTokenRecord | null>;
  /**
   * Marks `usedId` used and stores `next`, atomically, only while `usedId` is neither used,
   * revoked nor expired at `now`. False means someone else used it first (or it was revoked).
   * A revocation of the family (revokeRefreshFamily, resetPassword) racing it either comes
   * first, and the rotation fails, or comes after, and revokes `next` too: no successor of a
   * revoked family is ever left live.
   */
  rotateRefreshToken(usedId: string, next: RefreshTokenRecord, now: Date): Promise<boolean>;
  /** Revokes every token of the user's family that is not revoked yet; returns how many. */
  revokeRefreshFamily(family: { userId: string; familyId: string }, now: Date): Promise<number>;

  /** Stores the token, and drops the user's tokens that expired by its creation (no use can come of them). */
  insertAccountToken(token: AccountTokenRecord): Promise<void>;
  /**
   * Stores the token as insertAccountToken does, unless the user holds a token of its purpose
   * made after `since` that is unused and unexpired at the token's creation, and that was either
   * mailed (markAccountTokenMailed) or made after `handingOverSince` (its mail may still be on
   * its way): false then, and nothing is stored. Judged with the user locked, so of requests
   * racing for one user and purpose exactly one stores its token (a double click mails one link).
   * A token never marked mailed and older than `handingOverSince` was lost with its process
   * between being stored and its mail being handed over: it holds nothing back.
   */
  insertAccountTokenUnlessRecent(token: AccountTokenRecord, since: Date, handingOverSince: Date): Promise<boolean>;
  /** Records that the token's mail was handed over (see insertAccountTokenUnlessRecent). */
  markAccountTokenMailed(tokenHash: string, at: Date): Promise<void>;
  /** Removes a token (its mail could not be handed over: a link nobody received must not hold back the next). */
  dropAccountToken(tokenHash: string): Promise<void>;
  /** The token when it exists for this purpose, unused and unexpired at `now`; null otherwise. */
  findLiveAccountToken(tokenHash: string, purpose: AccountTokenPurpose, now: Date): Promise<AccountTokenRecord | null>;
  /** The token as kept for this purpose, used or not, expired or not (until dropped); null otherwise. */
  findAccountToken(tokenHash: string, purpose: AccountTokenPurpose): Promise<AccountTokenRecord | null>;
  /**
   * Uses a live PASSWORD_RESET token and, atomically with it: sets the password hash, uses
   * every other reset token of the user, revokes all their refresh tokens and marks the email
   * verified (the link reached that mailbox). The user id, or null when the token was not
   * live (unknown, expired, or another reset used it first).
   */
  resetPassword(tokenHash: string, passwordHash: string, now: Date): Promise<string | null>;
  /** Uses a live EMAIL_VERIFICATION token and marks the user's email verified; the user id or null. */
  verifyEmail(tokenHash: string, now: Date): Promise<string | null>;

  close(): Promise<void>;
}
