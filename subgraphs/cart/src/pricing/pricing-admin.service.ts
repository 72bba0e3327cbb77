import { randomUUID } from "node:crypto";
import { DomainError, ErrorCode } from "#kernel";
import { validCoupon, validCountryCode, validShippingMethod, validTaxRate, type CouponInput, type ShippingMethodInput } from "./pricing-input.js";
import { CouponCodeTaken, type PricingStore } from "../ports/pricing-store.js";
import type { Coupon, ShippingMethod, TaxRate } from "./pricing-types.js";

/** The store's pricing data: shipping methods, tax rates and coupons (callers check the admin role). */
export function createPricingAdminService(deps: { store: PricingStore }) {
  const { store } = deps;
  return {
    createShippingMethod: (input: ShippingMethodInput): Promise<ShippingMethod> =>
      store.createShippingMethod({ id: `shp_${randomUUID().replaceAll("-", "").slice(0, 24)}`, ...validShippingMethod(input) }),

    shippingMethodsTo: (countryCode: string): Promise<ShippingMethod[]> => store.shippingMethodsTo(validCountryCode(countryCode)),

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
