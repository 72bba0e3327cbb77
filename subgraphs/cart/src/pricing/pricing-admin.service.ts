import { randomUUID } from "node:crypto";
import { DomainError, ErrorCode } from "#kernel";
import { validCoupon, validCountryCode, validShippingMethod, validTaxRate, type CouponInput, type ShippingMethodInput } from "./pricing-input.js";
import { CouponCodeTaken, type PricingStore } from "../ports/pricing-store.js";
import type { Coupon, ShippingMethod, TaxRate } from "./pricing-types.js";

/** Shipping methods offered for one country at most (cheapest first). */
export const MAX_SHIPPING_CHOICES = 20;

/** The store's pricing data: shipping methods, tax rates and coupons (callers check the admin role). */
export function createPricingAdminService(deps: { store: PricingStore }) {
  const { store } = deps;
  return {
    createShippingMethod: (input: ShippingMethodInput): Promise<ShippingMethod> =>
      store.createShippingMethod({ id: `shp_${randomUUID().replaceAll("-", "").slice(0, 24)}`, ...validShippingMethod(input) }),

    // The cheapest MAX_SHIPPING_CHOICES: what the schema declares for Query.shippingMethods and
    // the gateway's cost measure counts, however many methods admins make.
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
