import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { Address, AddressFields, User } from "../domain/user.js";
import type { AccountTokenPurpose } from "../domain/account-token.js";
import { sameAddress } from "../domain/address-identity.js";
import { DuplicateEmailError, type AccountTokenRecord, type NewUser, type RefreshTokenRecord, type UserStore, type UserStorePausePoints } from "../ports/user-store.js";

interface StoredUser extends User {
  emailKey: string;
  passwordHash: string;
}
type StoredAddress = Omit<Address, "isDefault">;
/** A one-time token as kept: with when its mail was handed over, which no reader is given. */
type StoredAccountToken = AccountTokenRecord & { mailedAt?: Date | null };

interface Snapshot {
  users: StoredUser[];
  addresses: StoredAddress[];
  refreshTokens: RefreshTokenRecord[];
  /** Absent in files written before one-time tokens existed. */
  accountTokens?: StoredAccountToken[];
}

const DATE_FIELDS = new Set(["createdAt", "updatedAt", "expiresAt", "usedAt", "revokedAt", "emailVerifiedAt", "mailedAt"]);

/**
 * The user store of the zero-setup mode: in memory, optionally kept in a JSON file so that
 * development accounts survive a restart. Node runs each method's synchronous part to
 * completion, so the checks and writes below are atomic without locks; the file is written
 * after each change (whole, through a rename, so a crash leaves the old or the new file).
 */
export class EmbeddedUserStore implements UserStore {
  readonly engine = "embedded";
  private users = new Map<string, StoredUser>();
  private addresses = new Map<string, StoredAddress>();
  private refreshTokens = new Map<string, RefreshTokenRecord>();
  private accountTokens = new Map<string, StoredAccountToken>();
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file?: string,
    private readonly pauses: UserStorePausePoints = {},
  ) {}

  /** A store kept in `file` (loaded when it exists), or in memory only without one. */
  static async open(file?: string, { pauses }: { pauses?: UserStorePausePoints } = {}): Promise<EmbeddedUserStore> {
    const store = new EmbeddedUserStore(file, pauses);
    if (file) {
      const text = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => (error.code === "ENOENT" ? undefined : Promise.reject(error)));
      if (text) store.restore(JSON.parse(text, (key, value) => (DATE_FIELDS.has(key) && typeof value === "string" ? new Date(value) : value)) as Snapshot);
    }
    return store;
  }

  async createUser(user: NewUser): Promise<User> {
    if ([...this.users.values()].some((u) => u.emailKey === user.emailKey)) throw new DuplicateEmailError();
    const stored: StoredUser = { ...user, defaultAddressId: null, emailVerifiedAt: null, updatedAt: user.createdAt };
    this.users.set(user.id, stored);
    await this.persist();
    return publicUser(stored);
  }

  async findUsersByIds(ids: readonly string[]): Promise<Map<string, User>> {
    const found = new Map<string, User>();
    for (const id of ids) {
      const user = this.users.get(id);
      if (user) found.set(id, publicUser(user));
    }
    return found;
  }

  async findCredentials(emailKey: string) {
    const user = [...this.users.values()].find((u) => u.emailKey === emailKey);
    return user ? { user: publicUser(user), passwordHash: user.passwordHash } : null;
  }

  async listAddresses(userIds: readonly string[]): Promise<Map<string, Address[]>> {
    const result = new Map<string, Address[]>(userIds.map((id) => [id, []]));
    const all = [...this.addresses.values()].sort(byCreation);
    for (const address of all) result.get(address.userId)?.push(this.view(address));
    return result;
  }

  async addAddress(userId: string, address: AddressFields & { id: string; createdAt: Date }, makeDefault: boolean, limit: number): Promise<Address | null> {
    const user = this.users.get(userId);
    if (!user) throw new Error(`No user ${userId}`);
    // Looked up, counted and written with no await between: concurrent adds are judged one at a time.
    const twin = [...this.addresses.values()].filter((a) => a.userId === userId).sort(byCreation).find((existing) => sameAddress(existing, address));
    if (twin) {
      if (makeDefault && user.defaultAddressId !== twin.id) {
        user.defaultAddressId = twin.id;
        await this.persist();
      }
      return this.view(twin);
    }
    if (this.addressCount(userId) >= limit) return null;
    this.addresses.set(address.id, { ...address, userId, updatedAt: address.createdAt });
    if (makeDefault || user.defaultAddressId === null) user.defaultAddressId = address.id;
    await this.persist();
    return this.view(this.addresses.get(address.id)!);
  }

  async updateAddress(userId: string, addressId: string, changes: Partial<AddressFields>, now: Date): Promise<Address | null> {
    const address = this.owned(userId, addressId);
    if (!address) return null;
    Object.assign(address, changes, { updatedAt: now });
    await this.persist();
    return this.view(address);
  }

  async removeAddress(userId: string, addressId: string): Promise<boolean> {
    if (!this.owned(userId, addressId)) return false;
    this.addresses.delete(addressId);
    const user = this.users.get(userId)!;
    if (user.defaultAddressId === addressId) user.defaultAddressId = null;
    await this.persist();
    return true;
  }

  async setDefaultAddress(userId: string, addressId: string): Promise<Address | null> {
    const address = this.owned(userId, addressId);
    if (!address) return null;
    this.users.get(userId)!.defaultAddressId = addressId;
    await this.persist();
    return this.view(address);
  }

  async defaultAddress(userId: string): Promise<Address | null> {
    const id = this.users.get(userId)?.defaultAddressId;
    const address = id ? this.addresses.get(id) : undefined;
    return address ? this.view(address) : null;
  }

  async countAddresses(userId: string): Promise<number> {
    return this.addressCount(userId);
  }

  private addressCount(userId: string): number {
    return [...this.addresses.values()].filter((a) => a.userId === userId).length;
  }

  async insertRefreshToken(token: RefreshTokenRecord): Promise<void> {
    this.refreshTokens.set(token.id, { ...token });
    await this.persist();
  }

  async beginSession(first: RefreshTokenRecord, passwordHash: string): Promise<boolean> {
    if (this.users.get(first.userId)?.passwordHash !== passwordHash) return false;
    this.refreshTokens.set(first.id, { ...first });
    await this.persist();
    return true;
  }

  async findRefreshToken(id: string): Promise<RefreshTokenRecord | null> {
    const token = this.refreshTokens.get(id);
    return token ? { ...token } : null;
  }

  async rotateRefreshToken(usedId: string, next: RefreshTokenRecord, now: Date): Promise<boolean> {
    if (this.pauses.duringRotation) await this.pauses.duringRotation();
    const used = this.refreshTokens.get(usedId);
    if (!used || used.userId !== next.userId || used.familyId !== next.familyId || used.usedAt || used.revokedAt || used.expiresAt <= now) return false;
    used.usedAt = now;
    this.refreshTokens.set(next.id, { ...next });
    await this.persist();
    return true;
  }

  async revokeRefreshFamily({ userId, familyId }: { userId: string; familyId: string }, now: Date): Promise<number> {
    let revoked = 0;
    for (const token of this.refreshTokens.values()) {
      if (token.userId === userId && token.familyId === familyId && !token.revokedAt) {
        token.revokedAt = now;
        revoked += 1;
      }
    }
    if (revoked) await this.persist();
    return revoked;
  }

  async insertAccountToken(token: AccountTokenRecord): Promise<void> {
    for (const [hash, old] of this.accountTokens) if (old.userId === token.userId && old.expiresAt <= token.createdAt) this.accountTokens.delete(hash);
    this.accountTokens.set(token.tokenHash, { ...token });
    await this.persist();
  }

  async insertAccountTokenUnlessRecent(token: AccountTokenRecord, since: Date, handingOverSince: Date): Promise<boolean> {
    const recent = [...this.accountTokens.values()].some(
      (held) =>
        held.userId === token.userId &&
        held.purpose === token.purpose &&
        held.createdAt > since &&
        !held.usedAt &&
        held.expiresAt > token.createdAt &&
        (Boolean(held.mailedAt) || held.createdAt > handingOverSince),
    );
    if (recent) return false;
    await this.insertAccountToken(token);
    return true;
  }

  async markAccountTokenMailed(tokenHash: string, at: Date): Promise<void> {
    const token = this.accountTokens.get(tokenHash);
    if (!token) return;
    token.mailedAt = at;
    await this.persist();
  }

  async dropAccountToken(tokenHash: string): Promise<void> {
    if (this.accountTokens.delete(tokenHash)) await this.persist();
  }

  async findLiveAccountToken(tokenHash: string, purpose: AccountTokenPurpose, now: Date): Promise<AccountTokenRecord | null> {
    const token = this.liveToken(tokenHash, purpose, now);
    return token ? tokenRecord(token) : null;
  }

  async findAccountToken(tokenHash: string, purpose: AccountTokenPurpose): Promise<AccountTokenRecord | null> {
    const token = this.accountTokens.get(tokenHash);
    return token && token.purpose === purpose ? tokenRecord(token) : null;
  }

  async resetPassword(tokenHash: string, passwordHash: string, now: Date): Promise<string | null> {
    const token = this.liveToken(tokenHash, "PASSWORD_RESET", now);
    const user = token && this.users.get(token.userId);
    if (!token || !user) return null;
    for (const other of this.accountTokens.values()) {
      if (other.userId === user.id && other.purpose === "PASSWORD_RESET" && !other.usedAt) other.usedAt = now;
    }
    for (const refresh of this.refreshTokens.values()) if (refresh.userId === user.id && !refresh.revokedAt) refresh.revokedAt = now;
    Object.assign(user, { passwordHash, emailVerifiedAt: user.emailVerifiedAt ?? now, updatedAt: now });
    await this.persist();
    return user.id;
  }

  async verifyEmail(tokenHash: string, now: Date): Promise<string | null> {
    const token = this.liveToken(tokenHash, "EMAIL_VERIFICATION", now);
    const user = token && this.users.get(token.userId);
    if (!token || !user) return null;
    token.usedAt = now;
    user.emailVerifiedAt ??= now;
    await this.persist();
    return user.id;
  }

  async close(): Promise<void> {
    await this.writing;
  }

  private liveToken(tokenHash: string, purpose: AccountTokenPurpose, now: Date): StoredAccountToken | undefined {
    const token = this.accountTokens.get(tokenHash);
    return token && token.purpose === purpose && !token.usedAt && token.expiresAt > now ? token : undefined;
  }

  private owned(userId: string, addressId: string): StoredAddress | undefined {
    const address = this.addresses.get(addressId);
    return address?.userId === userId ? address : undefined;
  }

  private view(address: StoredAddress): Address {
    return { ...address, isDefault: this.users.get(address.userId)?.defaultAddressId === address.id };
  }

  private restore(snapshot: Snapshot): void {
    this.users = new Map(snapshot.users.map((u) => [u.id, u]));
    this.addresses = new Map(snapshot.addresses.map((a) => [a.id, a]));
    this.refreshTokens = new Map(snapshot.refreshTokens.map((t) => [t.id, t]));
    this.accountTokens = new Map((snapshot.accountTokens ?? []).map((t) => [t.tokenHash, t]));
    // Users written before email verification existed start unverified.
    for (const user of this.users.values()) user.emailVerifiedAt ??= null;
  }

  /** Writes are chained, so the file always ends with the latest state. */
  private persist(): Promise<void> {
    const file = this.file;
    if (!file) return Promise.resolve();
    const snapshot: Snapshot = {
      users: [...this.users.values()],
      addresses: [...this.addresses.values()],
      refreshTokens: [...this.refreshTokens.values()],
      accountTokens: [...this.accountTokens.values()],
    };
    const text = JSON.stringify(snapshot);
    // A failed write fails its own caller only; the next write starts afresh.
    this.writing = this.writing.catch(() => undefined).then(async () => {
      await mkdir(dirname(file), { recursive: true });
      await writeFile(`${file}.tmp`, text, { mode: 0o600 });
      await rename(`${file}.tmp`, file);
    });
    return this.writing;
  }
}

function publicUser({ emailKey: _key, passwordHash: _hash, ...user }: StoredUser): User {
  return { ...user };
}

/** Oldest first, as address books are listed. */
const byCreation = (a: { createdAt: Date; id: string }, b: { createdAt: Date; id: string }): number => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id);

function tokenRecord({ mailedAt: _mailedAt, ...record }: StoredAccountToken): AccountTokenRecord {
  return record;
}
