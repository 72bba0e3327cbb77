import { MongoServerError, type Collection, type Db } from "mongodb";
import { DuplicateSkuError } from "../ports/product-store.js";
import type { ResourceLock } from "./mongo-catalog-counters.js";

export interface SkuClaimDocument {
  /** The SKU itself: the collection's primary key is what makes it unique. */
  _id: string;
  productId: string;
  claimedAt: Date;
}

/**
 * What the product named by a claim says about the SKU now: it "holds" it, "lacks" it, was
 * "deleted", or is "absent" (never written, or its tombstone already dropped).
 */
export type SkuHolding = (productId: string, sku: string) => Promise<"holds" | "lacks" | "deleted" | "absent">;

/**
 * How long a claim whose product does not show it yet is taken as a write in progress (a
 * product is inserted, or a variant added, just after its SKUs are claimed). Far above any
 * write's duration (queries time out after seconds); only then is a claim left behind by a
 * process that died between the two steps taken over.
 */
export const CLAIM_GRACE_MS = 60_000;

const DUPLICATE_KEY = 11000;

/**
 * SKUs unique across the whole catalog, product and variant SKUs alike, on MongoDB and
 * FerretDB: one document per SKU, keyed by it. A unique index on `variants.sku` would do it
 * on MongoDB, but FerretDB v1 accepts such an index and enforces nothing (tried: two products
 * sharing a variant SKU were both inserted), while the primary key of a collection is unique
 * on both engines. Claims are taken before the product write and released after it, so a
 * crash in between leaves at most a claim naming a product that does not hold the SKU: it is
 * honoured for CLAIM_GRACE_MS, then taken over by the next product that wants the SKU.
 */
export function skuClaims(db: Db, collection: string, deps: { lock: ResourceLock; holding: SkuHolding; maxTimeMS: number; clock?: () => Date }) {
  const claims: Collection<SkuClaimDocument> = db.collection<SkuClaimDocument>(collection);
  const clock = deps.clock ?? (() => new Date());

  /** Takes a claim another product holds only when that one does not hold the SKU (see CLAIM_GRACE_MS). */
  async function takeOver(productId: string, sku: string): Promise<boolean> {
    return deps.lock(`sku:${sku}`, async () => {
      const claim = await claims.findOne({ _id: sku }, { maxTimeMS: deps.maxTimeMS });
      if (!claim) return claims.insertOne({ _id: sku, productId, claimedAt: clock() }).then(() => true, ignoreDuplicate);
      if (claim.productId === productId) return true;
      const holding = await deps.holding(claim.productId, sku);
      const young = clock().getTime() - new Date(claim.claimedAt).getTime() < CLAIM_GRACE_MS;
      if (holding === "holds" || (holding !== "deleted" && young)) return false;
      const moved = await claims.updateOne({ _id: sku, productId: claim.productId }, { $set: { productId, claimedAt: clock() } });
      return moved.modifiedCount === 1;
    });
  }

  return {
    /** Claims every SKU for its product, all or none; throws DuplicateSkuError naming one taken. */
    async claim(entries: readonly { sku: string; productId: string }[]): Promise<void> {
      if (entries.length === 0) return;
      const now = clock();
      const taken = new Set<number>();
      try {
        await claims.insertMany(entries.map(({ sku, productId }) => ({ _id: sku, productId, claimedAt: now })), { ordered: false });
      } catch (error) {
        const failed = duplicateIndexes(error);
        if (!failed) throw error;
        for (const index of failed) taken.add(index);
      }
      const mine = entries.filter((_, i) => !taken.has(i));
      for (const index of taken) {
        const entry = entries[index]!;
        if (await takeOver(entry.productId, entry.sku)) mine.push(entry);
        else {
          await this.release(mine);
          throw new DuplicateSkuError(entry.sku, await this.holder(entry.sku));
        }
      }
    },

    /**
     * Claims the SKUs of products written before claims existed (the catalog migration). Safe
     * to repeat; a SKU another product claimed meanwhile is not taken but returned, for an
     * operator to resolve.
     */
    async backfill(entries: readonly { sku: string; productId: string }[]): Promise<{ sku: string; productId: string; holder: string }[]> {
      if (entries.length === 0) return [];
      let failed: number[] = [];
      try {
        await claims.insertMany(entries.map(({ sku, productId }) => ({ _id: sku, productId, claimedAt: clock() })), { ordered: false });
      } catch (error) {
        const duplicates = duplicateIndexes(error);
        if (!duplicates) throw error;
        failed = duplicates;
      }
      const conflicts: { sku: string; productId: string; holder: string }[] = [];
      for (const index of failed) {
        const entry = entries[index]!;
        const holder = await this.holder(entry.sku);
        if (holder !== undefined && holder !== entry.productId) conflicts.push({ ...entry, holder });
      }
      return conflicts;
    },

    /** Gives SKUs up, each only if its product still holds the claim. */
    async release(entries: readonly { sku: string; productId: string }[]): Promise<void> {
      // One by one, a few at once: `$in` makes FerretDB read the whole collection.
      for (let i = 0; i < entries.length; i += 8) {
        await Promise.all(entries.slice(i, i + 8).map(({ sku, productId }) => claims.deleteOne({ _id: sku, productId })));
      }
    },

    /** The product holding a SKU's claim, if any (tests and the migration). */
    async holder(sku: string): Promise<string | undefined> {
      return (await claims.findOne({ _id: sku }, { maxTimeMS: deps.maxTimeMS }))?.productId;
    },

    async drop() {
      await claims.drop().catch(() => false);
    },
  };
}

export type SkuClaims = ReturnType<typeof skuClaims>;

function ignoreDuplicate(error: unknown): false {
  if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) return false;
  throw error;
}

/** Which documents of an unordered insert failed on a duplicate key; undefined when anything else failed. */
function duplicateIndexes(error: unknown): number[] | undefined {
  const raw = (error as { writeErrors?: { index: number; code: number }[] | { index: number; code: number } }).writeErrors;
  const errors = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  if (errors.length === 0) return undefined;
  return errors.every((e) => e.code === DUPLICATE_KEY) ? errors.map((e) => e.index) : undefined;
}
