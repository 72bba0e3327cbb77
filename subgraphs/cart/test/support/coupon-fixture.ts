import type { Coupon } from "../../src/pricing/pricing-types.js";

/** A 10 % coupon without limits, window or currency, with whatever the test changes. */
export const couponWith = (over: Partial<Coupon> = {}): Coupon => ({
  id: "cpn_1",
  code: "SAVE10",
  type: "PERCENTAGE",
  value: 1000,
  currency: null,
  minSubtotalAmount: 0,
  startsAt: null,
  endsAt: null,
  usageLimit: null,
  perCustomerLimit: null,
  active: true,
  redeemedCount: 0,
  ...over,
});
