import type { Coupon, ShippingMethod, TaxRate } from "../pricing/pricing-types.js";

/** What checkout and the estimate read at once: one round trip. */
export interface PricingData {
  shippingMethod: ShippingMethod | null;
  /**
   * Methods to the destination country listed before shippingMethod (cheaper, or as cheap and
   * first by name and id): its place in shippingMethodsTo's answer. 0 without either.
   */
  cheaperShippingMethods: number;
  taxRates: TaxRate[];
  coupon: Coupon | null;
  /** The customer's live redemptions of that coupon. */
  usedByCustomer: number;
  /** The coupon code the cart holds, when asked for (`cartKey`). */
  cartCouponCode: string | null;
}

/** What one quote reads: the method, the destination country's rates, the coupon (this code, or the cart's) and its use by the customer. */
export interface PricingQuery {
  shippingMethodId: string | null;
  country: string | null;
  couponCode: string | null;
  userId: string | null;
  cartKey: string | null;
}

/** Thrown by `createCoupon` when the code (in any letter case) is taken; `holder` is the coupon that holds it. */
export class CouponCodeTaken extends Error {
  constructor(
    readonly code: string,
    readonly holder: Coupon,
  ) {
    super(`Coupon code ${code} is taken`);
  }
}

/** Thrown by `createShippingMethod` when one of the method's countries is offered `limit` methods already. */
export class ShippingChoicesFull extends Error {
  constructor(
    readonly countryCode: string,
    readonly limit: number,
  ) {
    super(`${countryCode} is offered ${limit} shipping methods already`);
  }
}

/**
 * The relational role for pricing data (shipping methods, tax rates, coupons) and the cart's
 * coupon. Guarantees: a coupon code is unique without letter case (CouponCodeTaken); a tax
 * rate is unique per (country, region, category), `setTaxRate` replacing it; the number of
 * live redemptions of a coupon never passes its usage limit (orders_place and a CHECK
 * constraint hold it, not this interface's callers); no country is offered more than
 * `maxPerCountry` shipping methods, however many creates race (ShippingChoicesFull); a
 * shipping method's id is created once: a create under an id that exists (or that a racing
 * create writes first) writes nothing and answers the stored method.
 */
export interface PricingStore {
  createShippingMethod(method: ShippingMethod, maxPerCountry: number): Promise<ShippingMethod>;
  /** Every method shipping to the country, cheapest first (then by name and id). */
  shippingMethodsTo(country: string): Promise<ShippingMethod[]>;
  setTaxRate(rate: TaxRate): Promise<TaxRate>;
  createCoupon(coupon: Coupon): Promise<Coupon>;
  /**
   * Sets (or with null clears) the coupon of an existing cart; false when the cart has no row,
   * or (`onlyIfNone`) when it holds a coupon already.
   */
  setCartCoupon(cartKey: string, code: string | null, options?: { onlyIfNone?: boolean }): Promise<boolean>;
  cartCouponCodes(cartKeys: readonly string[]): Promise<Map<string, string | null>>;
  read(query: PricingQuery): Promise<PricingData>;
}
