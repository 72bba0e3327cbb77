import { randomUUID } from "node:crypto";
import { DomainError, ErrorCode, badInput } from "#kernel";
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
    async createShippingMethod(input: ShippingMethodInput): Promise<ShippingMethod> {
      try {
        return await store.createShippingMethod({ id: `shp_${randomUUID().replaceAll("-", "").slice(0, 24)}`, ...validShippingMethod(input) }, MAX_SHIPPING_CHOICES);
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

    async createCoupon(input: CouponInput): Promise<Coupon> {
      const coupon: Coupon = { id: `cpn_${randomUUID().replaceAll("-", "").slice(0, 24)}`, ...validCoupon(input), redeemedCount: 0 };
      try {
        return await store.createCoupon(coupon);
      } catch (error) {
        if (error instanceof CouponCodeTaken) throw new DomainError(ErrorCode.CONFLICT, `A coupon with code ${coupon.code} exists already (codes ignore letter case)`, { couponCode: coupon.code });
        throw error;
      }
    },
  };
}

export type PricingAdminService = ReturnType<typeof createPricingAdminService>;
