import { PrismaMariaDb } from "@prisma/adapter-mariadb";
import { PrismaClient, Prisma } from "../../../../prisma/accounts/generated/client.js";
import type { Address as AddressRow, User as UserRow, RefreshToken as RefreshTokenRow, AccountToken as AccountTokenRow } from "../../../../prisma/accounts/generated/client.js";
import { parseMysqlUrl } from "../../../../prisma/accounts/migrator/connection.js";
import type { DatabaseBounds } from "#kernel/runtime/money-path-deadlines.ts";
import { boundedMysqlPool } from "./bounded-mysql-pool.js";
import type { Address, AddressFields, User } from "../domain/user.js";
import type { AccountTokenPurpose } from "../domain/account-token.js";
import { sameAddress } from "../domain/address-identity.js";
import { DuplicateEmailError, type AccountTokenRecord, type NewUser, type RefreshTokenRecord, type UserStore, type UserStorePausePoints } from "../ports/user-store.js";

const withDefaultFlag = { defaultOf: { select: { id: true } } } as const;
type AddressWithFlag = AddressRow & { defaultOf: { id: string } | null };

/**
 * The user store on MySQL (MariaDB) through Prisma and its MariaDB driver adapter. Ownership
 * is part of every address statement's WHERE clause, never a separate check, so there is no
 * window between checking an owner and writing. InnoDB's row lock on the used refresh token
 * makes its rotation succeed once: a racing UPDATE waits, then no longer matches. One-time
 * account tokens are used the same way: a conditional UPDATE, and only its winner goes on.
 */
export class PrismaUserStore implements UserStore {
  readonly engine = "mysql";

  private constructor(
    private readonly prisma: PrismaClient,
    private readonly pauses: UserStorePausePoints,
    private readonly pool: { end(): Promise<void> },
  ) {}

  static async connect(url: string, { poolSize = 10, pauses = {} as UserStorePausePoints, bounds }: { poolSize?: number; pauses?: UserStorePausePoints; bounds?: Pick<DatabaseBounds, "connectMs" | "answerMs"> } = {}): Promise<PrismaUserStore> {
    // Ours to end: Prisma connects its adapter again after a connection's failure, which an
    // adapter that owns an external pool refuses.
    const pool = boundedMysqlPool(parseMysqlUrl(url), { connectionLimit: poolSize, bounds });
    const prisma = new PrismaClient({ adapter: new PrismaMariaDb(pool) });
    await prisma.$queryRaw`SELECT 1`;
    return new PrismaUserStore(prisma, pauses, pool);
  }

  async createUser(user: NewUser): Promise<User> {
    try {
      return toUser(await this.prisma.user.create({ data: { ...user, role: user.role === "admin" ? "ADMIN" : "CUSTOMER", updatedAt: user.createdAt } }));
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") throw new DuplicateEmailError();
      throw error;
    }
  }

  async findUsersByIds(ids: readonly string[]): Promise<Map<string, User>> {
    const rows = await this.prisma.user.findMany({ where: { id: { in: [...ids] } } });
    return new Map(rows.map((row) => [row.id, toUser(row)]));
  }

  async findCredentials(emailKey: string) {
    const row = await this.prisma.user.findUnique({ where: { emailKey } });
    return row ? { user: toUser(row), passwordHash: row.passwordHash } : null;
  }

  async listAddresses(userIds: readonly string[]): Promise<Map<string, Address[]>> {
    const rows = await this.prisma.address.findMany({
      where: { userId: { in: [...userIds] } },
      include: withDefaultFlag,
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    });
    const result = new Map<string, Address[]>(userIds.map((id) => [id, []]));
    for (const row of rows) result.get(row.userId)?.push(toAddress(row));
    return result;
  }

  async addAddress(userId: string, address: AddressFields & { id: string; createdAt: Date }, makeDefault: boolean, limit: number): Promise<Address | null> {
    return this.prisma.$transaction(async (tx) => {
      // The user's row lock makes concurrent adds count one after another.
      await tx.$queryRaw`SELECT id FROM User WHERE id = ${userId} FOR UPDATE`;
      const kept = await tx.address.findMany({ where: { userId }, include: withDefaultFlag, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
      const twin = kept.map(toAddress).find((existing) => sameAddress(existing, address));
      if (twin) {
        if (!makeDefault || twin.isDefault) return twin;
        await tx.user.update({ where: { id: userId }, data: { defaultAddressId: twin.id } });
        return { ...twin, isDefault: true };
      }
      if (kept.length >= limit) return null;
      await tx.address.create({ data: { ...address, userId, updatedAt: address.createdAt } });
      // Without makeDefault, only a user who has no default yet gets this one.
      await tx.user.updateMany({ where: makeDefault ? { id: userId } : { id: userId, defaultAddressId: null }, data: { defaultAddressId: address.id } });
      return toAddress(await tx.address.findUniqueOrThrow({ where: { id: address.id }, include: withDefaultFlag }));
    });
  }

  async updateAddress(userId: string, addressId: string, changes: Partial<AddressFields>, now: Date): Promise<Address | null> {
    const { count } = await this.prisma.address.updateMany({ where: { id: addressId, userId }, data: { ...changes, updatedAt: now } });
    if (count === 0) return null;
    const row = await this.prisma.address.findFirst({ where: { id: addressId, userId }, include: withDefaultFlag });
    return row ? toAddress(row) : null;
  }

  async removeAddress(userId: string, addressId: string): Promise<boolean> {
    // The foreign key (ON DELETE SET NULL) clears the default when it pointed here.
    const { count } = await this.prisma.address.deleteMany({ where: { id: addressId, userId } });
    return count > 0;
  }

  async setDefaultAddress(userId: string, addressId: string): Promise<Address | null> {
    const { count } = await this.prisma.user.updateMany({ where: { id: userId, addresses: { some: { id: addressId } } }, data: { defaultAddressId: addressId } });
    if (count === 0) return null;
    const row = await this.prisma.address.findFirst({ where: { id: addressId, userId }, include: withDefaultFlag });
    return row ? toAddress(row) : null;
  }

  async defaultAddress(userId: string): Promise<Address | null> {
    const row = await this.prisma.address.findFirst({ where: { userId, defaultOf: { id: userId } }, include: withDefaultFlag });
    return row ? toAddress(row) : null;
  }

  async countAddresses(userId: string): Promise<number> {
    return this.prisma.address.count({ where: { userId } });
  }

  async insertRefreshToken(token: RefreshTokenRecord): Promise<void> {
    await this.prisma.refreshToken.create({ data: token });
  }

  async findRefreshToken(id: string): Promise<RefreshTokenRecord | null> {
    const row = await this.prisma.refreshToken.findUnique({ where: { id } });
    return row ? toRefreshToken(row) : null;
  }

  async beginSession(first: RefreshTokenRecord, passwordHash: string): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      // A reset holds the user's row until it commits; the hash read under this lock is the one it left.
      const [user] = await lockUser(tx, first.userId, "share");
      if (user?.passwordHash !== passwordHash) return false;
      await tx.refreshToken.create({ data: first });
      return true;
    });
  }

  async rotateRefreshToken(usedId: string, next: RefreshTokenRecord, now: Date): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      // Shared with the user's other rotations, exclusive against a family's revocation: one
      // revoking between the mark and the insert saw neither the successor (not yet written)
      // nor could it pass the marked row, and deadlocked or left the successor live.
      await lockUser(tx, next.userId, "share");
      const { count } = await tx.refreshToken.updateMany({
        where: { id: usedId, userId: next.userId, familyId: next.familyId, usedAt: null, revokedAt: null, expiresAt: { gt: now } },
        data: { usedAt: now },
      });
      if (count !== 1) return false;
      if (this.pauses.duringRotation) await this.pauses.duringRotation();
      await tx.refreshToken.create({ data: next });
      return true;
    });
  }

  async revokeRefreshFamily({ userId, familyId }: { userId: string; familyId: string }, now: Date): Promise<number> {
    return this.prisma.$transaction(async (tx) => {
      // Waits for rotations in flight to commit, so the UPDATE (a locking read: it sees what
      // committed) finds their successors.
      await lockUser(tx, userId, "update");
      const { count } = await tx.refreshToken.updateMany({ where: { userId, familyId, revokedAt: null }, data: { revokedAt: now } });
      return count;
    });
  }

  async insertAccountToken(token: AccountTokenRecord): Promise<void> {
    await this.prisma.accountToken.create({ data: token });
    // Housekeeping after the insert, in a statement of its own: in one transaction with it,
    // concurrent requests for one user deadlock on the index range the DELETE locks. A prune
    // that loses such a race is simply done by the next insert.
    await this.prisma.accountToken.deleteMany({ where: { userId: token.userId, expiresAt: { lte: token.createdAt } } }).catch(() => undefined);
  }

  async insertAccountTokenUnlessRecent(token: AccountTokenRecord, since: Date, handingOverSince: Date): Promise<boolean> {
    const stored = await this.prisma.$transaction(async (tx) => {
      // The user's row lock orders racing requests: the second reads after the first committed.
      await lockUser(tx, token.userId, "update");
      const recent = await tx.accountToken.findFirst({ where: {
          userId: token.userId,
          purpose: token.purpose,
          createdAt: { gt: since },
          usedAt: null,
          expiresAt: { gt: token.createdAt },
          OR: [{ mailedAt: { not: null } }, { createdAt: { gt: handingOverSince } }],
        },
        select: { tokenHash: true } });
      if (recent) return false;
      await tx.accountToken.create({ data: token });
      return true;
    });
    // The prune outside the transaction, as insertAccountToken does it.
    if (stored) await this.prisma.accountToken.deleteMany({ where: { userId: token.userId, expiresAt: { lte: token.createdAt } } }).catch(() => undefined);
    return stored;
  }

  async markAccountTokenMailed(tokenHash: string, at: Date): Promise<void> {
    await this.prisma.accountToken.updateMany({ where: { tokenHash }, data: { mailedAt: at } });
  }

  async dropAccountToken(tokenHash: string): Promise<void> {
    await this.prisma.accountToken.deleteMany({ where: { tokenHash } });
  }

  async findLiveAccountToken(tokenHash: string, purpose: AccountTokenPurpose, now: Date): Promise<AccountTokenRecord | null> {
    const row = await this.prisma.accountToken.findFirst({ where: { tokenHash, purpose, usedAt: null, expiresAt: { gt: now } } });
    return row ? toAccountToken(row) : null;
  }

  async findAccountToken(tokenHash: string, purpose: AccountTokenPurpose): Promise<AccountTokenRecord | null> {
    const row = await this.prisma.accountToken.findFirst({ where: { tokenHash, purpose } });
    return row ? toAccountToken(row) : null;
  }

  async resetPassword(tokenHash: string, passwordHash: string, now: Date): Promise<string | null> {
    return this.prisma.$transaction(async (tx) => {
      const userId = await useToken(tx, tokenHash, "PASSWORD_RESET", now);
      if (!userId) return null;
      // Before the refresh tokens, as every session write takes it: rotations in flight commit
      // first and their successors are revoked below; log-ins that checked the old password
      // wait, then find the new one.
      await lockUser(tx, userId, "update");
      await tx.accountToken.updateMany({ where: { userId, purpose: "PASSWORD_RESET", usedAt: null }, data: { usedAt: now } });
      await tx.refreshToken.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: now } });
      await tx.user.update({ where: { id: userId }, data: { passwordHash, updatedAt: now } });
      await tx.user.updateMany({ where: { id: userId, emailVerifiedAt: null }, data: { emailVerifiedAt: now } });
      return userId;
    });
  }

  async verifyEmail(tokenHash: string, now: Date): Promise<string | null> {
    return this.prisma.$transaction(async (tx) => {
      const userId = await useToken(tx, tokenHash, "EMAIL_VERIFICATION", now);
      if (userId) await tx.user.updateMany({ where: { id: userId, emailVerifiedAt: null }, data: { emailVerifiedAt: now } });
      return userId;
    });
  }

  async close(): Promise<void> {
    await this.prisma.$disconnect();
    await this.pool.end();
  }
}

type Transaction = Parameters<Parameters<PrismaClient["$transaction"]>[0]>[0];

/**
 * Locks the user's row for the rest of the transaction. Every write of a user's sessions takes
 * it first (shared to start or rotate one, exclusive to revoke), so they never take row locks
 * in opposite orders, and a revocation never runs between a rotation's two statements.
 */
function lockUser(tx: Transaction, userId: string, mode: "share" | "update"): Promise<{ passwordHash: string }[]> {
  return mode === "share"
    ? tx.$queryRaw`SELECT passwordHash FROM User WHERE id = ${userId} LOCK IN SHARE MODE`
    : tx.$queryRaw`SELECT passwordHash FROM User WHERE id = ${userId} FOR UPDATE`;
}

/** Marks the token used when it is live; the racing loser's UPDATE waits on the row lock, then matches nothing. */
async function useToken(tx: Transaction, tokenHash: string, purpose: AccountTokenPurpose, now: Date): Promise<string | null> {
  const { count } = await tx.accountToken.updateMany({ where: { tokenHash, purpose, usedAt: null, expiresAt: { gt: now } }, data: { usedAt: now } });
  if (count !== 1) return null;
  return (await tx.accountToken.findUniqueOrThrow({ where: { tokenHash }, select: { userId: true } })).userId;
}

function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role === "ADMIN" ? "admin" : "customer",
    defaultAddressId: row.defaultAddressId,
    emailVerifiedAt: row.emailVerifiedAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function toAddress({ defaultOf, ...row }: AddressWithFlag): Address {
  return {
    id: row.id,
    userId: row.userId,
    recipientName: row.recipientName,
    line1: row.line1,
    line2: row.line2,
    city: row.city,
    region: row.region,
    postalCode: row.postalCode,
    country: row.country,
    phone: row.phone,
    isDefault: defaultOf !== null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function toRefreshToken(row: RefreshTokenRow): RefreshTokenRecord {
  return { ...row };
}

/** When its mail was handed over is the store's own business (see insertAccountTokenUnlessRecent). */
function toAccountToken({ mailedAt: _mailedAt, ...row }: AccountTokenRow): AccountTokenRecord {
  return row;
}
