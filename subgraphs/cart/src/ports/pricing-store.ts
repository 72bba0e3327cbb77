import type { Coupon, ShippingMethod, TaxRate } from "../pricing/pricing-types.js";

/** What checkout and the estimate read at once: one round trip. */
export interface PricingData {
  shippingMethod: ShippingMethod | null;
  taxRates: TaxRate[];
  coupon: Coupon | null;
  /** The customer's live redemptions of that coupon. */
  usedByCustomer: number;
  /** The coupon code the cart holds, when asked for (`cartKey`). */
  cartCouponCode: string | null;
}

/** Thrown by `createCoupon` when the code (in any letter case) is taken. */
export class CouponCodeTaken extends Error {
  constructor(readonly code: string) {
    super(`Coupon code ${code} is taken`);
  }
}

/**
 * The relational role for pricing data (shipping methods, tax rates, coupons) and the cart's
 * coupon. Guarantees: a coupon code is unique without letter case (CouponCodeTaken); a tax
 * rate is unique per (country, region, category), `setTaxRate` replacing it; the number of
 * live redemptions of a coupon never passes its usage limit (orders_place and a CHECK
 * constraint hold it, not this interface's callers).
 */
export interface PricingStore {
  createShippingMethod(method: ShippingMethod): Promise<ShippingMethod>;
  shippingMethodsTo(country: string): Promise<ShippingMethod[]>;
  setTaxRate(rate: TaxRate): Promise<TaxRate>;
  createCoupon(coupon: Coupon): Promise<Coupon>;
  /** Sets (or with null clears) the coupon of an existing cart; false when the cart has no row. */
  setCartCoupon(cartKey: string, code: string | null): Promise<boolean>;
  cartCouponCodes(cartKeys: readonly string[]): Promise<Map<string, string | null>>;
  read(query: { shippingMethodId: string | null; country: string | null; couponCode: string | null; userId: string | null; cartKey: string | null }): Promise<PricingData>;
}
