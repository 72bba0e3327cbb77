import { Prisma, queryDirect, type PrismaClient } from "#kernel/relational";
import { CouponCodeTaken, ShippingChoicesFull, type PricingData, type PricingQuery, type PricingStore } from "../ports/pricing-store.js";
import type { Coupon, CouponType, ShippingMethod, TaxRate } from "../pricing/pricing-types.js";

type ShippingRow = { id: string; name: string; priceAmount: number; currency: string; countries: string[]; freeOverAmount: number | null; minDeliveryDays: number; maxDeliveryDays: number };
type TaxRow = { countryCode: string; region: string; category: string; rateBasisPoints: number };
type CouponRow = Omit<Coupon, "startsAt" | "endsAt" | "type"> & { type: string; startsAt: string | Date | null; endsAt: string | Date | null; minSubtotalAmount: number };

/** Pricing data in PostgreSQL; the empty string stands for "any" region or category in TaxRate's key. */
export function createPrismaPricingStore(prisma: PrismaClient): PricingStore {
  return {
    async createShippingMethod(method, maxPerCountry) {
      const stored = async () => {
        const row = await prisma.shippingMethod.findUnique({ where: { id: method.id } });
        return row && toShippingMethod(row);
      };
      try {
        return await prisma.$transaction(async (tx) => {
          // One lock per country (in a fixed order, so two creates never wait on each other in
          // turn), held to commit: of racing creates for a country, each counts the others' rows.
          const countries = [...new Set(method.countries)].sort();
          for (const country of countries) await tx.$queryRaw`SELECT pg_advisory_xact_lock(hashtext(${`shipping-choices:${country}`}))::text`;
          // A twin of this id (one key, a double click) committed while this one waited: it is
          // the answer, and it is not counted against the countries a second time.
          const twin = await tx.shippingMethod.findUnique({ where: { id: method.id } });
          if (twin) return toShippingMethod(twin);
          for (const country of countries) {
            const [offered] = await tx.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM "ShippingMethod" WHERE ${country}::text = ANY(countries)`;
            if ((offered?.n ?? 0) >= maxPerCountry) throw new ShippingChoicesFull(country, maxPerCountry);
          }
          await tx.shippingMethod.create({ data: shippingMethodRow(method) });
          return method;
        });
      } catch (error) {
        // A twin of this id for other countries (other locks) inserted it first.
        const twin = (error as { code?: unknown }).code === "P2002" ? await stored() : null;
        if (twin) return twin;
        throw error;
      }
    },

    async shippingMethodsTo(country) {
      const rows = await prisma.shippingMethod.findMany({ where: { countries: { has: country } }, orderBy: [{ priceAmount: "asc" }, { name: "asc" }, { id: "asc" }] });
      return rows.map(toShippingMethod);
    },

    async setTaxRate(rate) {
      const key = { countryCode: rate.countryCode, region: rate.region ?? "", category: rate.category ?? "" };
      await prisma.taxRate.upsert({
        where: { countryCode_region_category: key },
        create: { ...key, rateBasisPoints: rate.rateBasisPoints },
        update: { rateBasisPoints: rate.rateBasisPoints },
      });
      return rate;
    },

    async createCoupon(coupon) {
      try {
        await prisma.coupon.create({
          data: {
            id: coupon.id,
            code: coupon.code,
            type: coupon.type,
            value: coupon.value,
            currency: coupon.currency,
            minSubtotalAmount: coupon.minSubtotalAmount,
            startsAt: coupon.startsAt,
            endsAt: coupon.endsAt,
            usageLimit: coupon.usageLimit,
            perCustomerLimit: coupon.perCustomerLimit,
            active: coupon.active,
          },
        });
      } catch (error) {
        if ((error as { code?: unknown }).code !== "P2002") throw error;
        const holder = await prisma.coupon.findUnique({ where: { code: coupon.code } });
        // Deleted between the insert and this read: the code is free again, yet not this call's.
        if (!holder) throw error;
        throw new CouponCodeTaken(coupon.code, toCoupon(holder));
      }
      return coupon;
    },

    async setCartCoupon(cartKey, code, options = {}) {
      const { count } = await prisma.cart.updateMany({ where: { userId: cartKey, ...(options.onlyIfNone && { couponCode: null }) }, data: { couponCode: code, updatedAt: new Date() } });
      return count > 0;
    },

    async cartCouponCodes(cartKeys) {
      const rows = await prisma.cart.findMany({ where: { userId: { in: [...cartKeys] } }, select: { userId: true, couponCode: true } });
      const found = new Map<string, string | null>(cartKeys.map((key) => [key, null]));
      for (const row of rows) found.set(row.userId, row.couponCode);
      return found;
    },

    // Checkout's hot path: everything pricing needs in one statement, straight on the pool.
    async read(query) {
      const [row] = await queryDirect<PricingRow>(prisma, pricingStatement(query));
      return pricingDataOf(row);
    },
  };
}

type PricingRow = { method: ShippingRow | null; cheaper: number | null; rates: TaxRow[]; coupon: CouponRow | null; used: number; cart_coupon: string | null };

/**
 * Everything pricing reads for one quote (PricingStore's `read`), as a statement to send with
 * others in one round trip (see queryDirectTogether); `pricingDataOf` reads its row.
 */
export const pricingStatement = ({ shippingMethodId, country, couponCode, userId, cartKey }: PricingQuery) => Prisma.sql`
          WITH wanted AS (
            SELECT coalesce(${couponCode}::text, (SELECT "couponCode" FROM "Cart" WHERE "userId" = ${cartKey}::text)) AS code
          )
          SELECT
            (SELECT row_to_json(m) FROM "ShippingMethod" m WHERE m.id = ${shippingMethodId}::text) AS method,
            (SELECT count(o.id)::int FROM "ShippingMethod" m JOIN "ShippingMethod" o
              ON ${country}::text = ANY(o.countries) AND (o."priceAmount", o.name, o.id) < (m."priceAmount", m.name, m.id)
              WHERE m.id = ${shippingMethodId}::text) AS cheaper,
            (SELECT coalesce(json_agg(t), '[]'::json) FROM "TaxRate" t WHERE t."countryCode" = ${country}::text) AS rates,
            (SELECT row_to_json(c) FROM "Coupon" c, wanted WHERE c.code = wanted.code) AS coupon,
            (SELECT count(*)::int FROM "CouponRedemption" r JOIN "Coupon" c ON c.id = r."couponId", wanted
              WHERE c.code = wanted.code AND r."userId" = ${userId}::text AND r."releasedAt" IS NULL) AS used,
            (SELECT "couponCode" FROM "Cart" WHERE "userId" = ${cartKey}::text) AS cart_coupon`;

/** The pricing data from the row of `pricingStatement`. */
export function pricingDataOf(row: unknown): PricingData {
  const found = row as PricingRow | undefined;
  return {
    shippingMethod: found?.method ? toShippingMethod(found.method) : null,
    cheaperShippingMethods: found?.cheaper ?? 0,
    taxRates: (found?.rates ?? []).map(toTaxRate),
    coupon: found?.coupon ? toCoupon(found.coupon) : null,
    usedByCustomer: found?.used ?? 0,
    cartCouponCode: found?.cart_coupon ?? null,
  };
}

/** A shipping method as its table row. */
export const shippingMethodRow = (method: ShippingMethod): ShippingRow => ({
  id: method.id,
  name: method.name,
  priceAmount: method.price.amount,
  currency: method.price.currency,
  countries: method.countries,
  freeOverAmount: method.freeOver?.amount ?? null,
  minDeliveryDays: method.minDeliveryDays,
  maxDeliveryDays: method.maxDeliveryDays,
});

function toShippingMethod(row: ShippingRow): ShippingMethod {
  return {
    id: row.id,
    name: row.name,
    price: { amount: row.priceAmount, currency: row.currency },
    countries: row.countries,
    freeOver: row.freeOverAmount === null ? null : { amount: row.freeOverAmount, currency: row.currency },
    minDeliveryDays: row.minDeliveryDays,
    maxDeliveryDays: row.maxDeliveryDays,
  };
}

const toTaxRate = (row: TaxRow): TaxRate => ({
  countryCode: row.countryCode,
  region: row.region === "" ? null : row.region,
  category: row.category === "" ? null : row.category,
  rateBasisPoints: row.rateBasisPoints,
});

// row_to_json writes timestamp(3) without a zone; the columns hold UTC.
const utc = (value: string | Date | null): Date | null => (value === null ? null : value instanceof Date ? value : new Date(`${value}Z`));

const toCoupon = (row: CouponRow): Coupon => ({
  id: row.id,
  code: row.code,
  type: row.type as CouponType,
  value: row.value,
  currency: row.currency,
  minSubtotalAmount: row.minSubtotalAmount,
  startsAt: utc(row.startsAt),
  endsAt: utc(row.endsAt),
  usageLimit: row.usageLimit,
  perCustomerLimit: row.perCustomerLimit,
  active: row.active,
  redeemedCount: row.redeemedCount,
});
