import { createHash, randomUUID } from "node:crypto";
import { DomainError, ErrorCode, badInput, validIdempotencyKey } from "#kernel";
import { validCoupon, validCountryCode, validShippingMethod, validTaxRate, type CouponInput, type ShippingMethodInput } from "./pricing-input.js";
import { CouponCodeTaken, ShippingChoicesFull, type PricingStore } from "../ports/pricing-store.js";
import type { Coupon, ShippingMethod, TaxRate } from "./pricing-types.js";

/**
 * Shipping methods one country is offered at most: the size the schema declares for
 * Query.shippingMethods, which the gateway's cost measure counts. Held where methods are
 * created (a 21st is refused), so the list shows every method checkout accepts.
 */
export const MAX_SHIPPING_CHOICES = 20;

/** The store's pricing data: shipping methods, tax rates and coupons (callers check the admin role). */
export function createPricingAdminService(deps: { store: PricingStore }) {
  const { store } = deps;
  return {
    /**
     * With an idempotency key the method is created once however often the call is repeated or
     * doubled (its id derives from the key): a repeat answers it; the key reused for another
     * method (name, price, countries, free-over or delivery days) is IDEMPOTENCY_CONFLICT.
     * Without one its terms are its natural key (two methods alike in every term are one choice
     * to a customer): its id derives from them, so the same method sent again is answered with
     * the one made, never made twice.
     */
    async createShippingMethod(input: ShippingMethodInput, idempotencyKey: string | null = null): Promise<ShippingMethod> {
      const key = idempotencyKey === null ? null : validIdempotencyKey(idempotencyKey);
      const terms = validShippingMethod(input);
      const method: ShippingMethod = { id: key === null ? shippingMethodIdForTerms(terms) : shippingMethodIdForKey(key), ...terms };
      try {
        const stored = await store.createShippingMethod(method, MAX_SHIPPING_CHOICES);
        if (key !== null && !sameShippingMethod(stored, method)) {
          throw new DomainError(ErrorCode.IDEMPOTENCY_CONFLICT, `Idempotency key ${key} already created shipping method ${stored.id} with other terms; use a new key for a new method`, { shippingMethodId: stored.id });
        }
        return stored;
      } catch (error) {
        if (error instanceof ShippingChoicesFull) {
          throw badInput(`${error.countryCode} is offered ${error.limit} shipping methods, the most a country takes; remove one before adding another`, {
            field: "countries",
            countryCode: error.countryCode,
            limit: error.limit,
          });
        }
        throw error;
      }
    },

    /**
     * Every method shipping to the country, which is at most MAX_SHIPPING_CHOICES (held at
     * creation); a country created past it before the cap was held keeps showing the cheapest
     * MAX_SHIPPING_CHOICES, and checkout accepts those only (cart-pricing.service's quote).
     */
    shippingMethodsTo: async (countryCode: string): Promise<ShippingMethod[]> => (await store.shippingMethodsTo(validCountryCode(countryCode))).slice(0, MAX_SHIPPING_CHOICES),

    /** Upserts: the same (country, region, category) keeps one rate, the last one set. */
    setTaxRate: (input: Parameters<typeof validTaxRate>[0]): Promise<TaxRate> => store.setTaxRate(validTaxRate(input)),

    /**
     * The code is the coupon's natural key: a repeat of the same terms (a double click, a retry
     * after a lost answer, two admins' tabs) answers the coupon that holds the code, as it is
     * now, and creates nothing; the code taken by other terms is CONFLICT.
     */
    async createCoupon(input: CouponInput): Promise<Coupon> {
      const coupon: Coupon = { id: `cpn_${randomUUID().replaceAll("-", "").slice(0, 24)}`, ...validCoupon(input), redeemedCount: 0 };
      try {
        return await store.createCoupon(coupon);
      } catch (error) {
        if (!(error instanceof CouponCodeTaken)) throw error;
        if (sameCouponTerms(error.holder, coupon)) return error.holder;
        throw new DomainError(ErrorCode.CONFLICT, `A coupon with code ${coupon.code} exists already with other terms (codes ignore letter case)`, { couponCode: coupon.code });
      }
    },
  };
}

export type PricingAdminService = ReturnType<typeof createPricingAdminService>;

/** One shipping method per creation key: a repeat or a double click names the same id. */
function shippingMethodIdForKey(key: string): string {
  return `shp_${createHash("sha256").update(`create-shipping-method\n${key}`).digest("hex").slice(0, 24)}`;
}

/** What makes a shipping method the one it is, whatever the order its countries were listed in. */
const shippingTerms = (m: Omit<ShippingMethod, "id">) => JSON.stringify([m.name, m.price, [...m.countries].sort(), m.freeOver ?? null, m.minDeliveryDays, m.maxDeliveryDays]);

function shippingMethodIdForTerms(terms: Omit<ShippingMethod, "id">): string {
  return `shp_${createHash("sha256").update(`shipping-method-terms\n${shippingTerms(terms)}`).digest("hex").slice(0, 24)}`;
}

/** Whether a stored method is the one a request describes (a repeat, not a reuse of its key). */
function sameShippingMethod(a: ShippingMethod, b: ShippingMethod): boolean {
  return shippingTerms(a) === shippingTerms(b);
}

/** Whether a stored coupon is the one a request describes: its code and every term it was created with. */
function sameCouponTerms(a: Coupon, b: Coupon): boolean {
  const terms = (c: Coupon) =>
    JSON.stringify([c.code, c.type, c.value, c.currency, c.minSubtotalAmount, c.startsAt?.getTime() ?? null, c.endsAt?.getTime() ?? null, c.usageLimit, c.perCustomerLimit, c.active]);
  return terms(a) === terms(b);
}
