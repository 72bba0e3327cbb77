import type { Money } from "#kernel";

/** A way to ship an order, at one price in one currency, to the countries it serves. */
export interface ShippingMethod {
  id: string;
  name: string;
  price: Money;
  /** ISO 3166-1 alpha-2 codes, upper case. */
  countries: string[];
  /** Shipping costs nothing once the subtotal after discount reaches this; null: never free. */
  freeOver: Money | null;
  minDeliveryDays: number;
  maxDeliveryDays: number;
}

/** A tax rate of a country; a null region or category means any. */
export interface TaxRate {
  countryCode: string;
  region: string | null;
  category: string | null;
  rateBasisPoints: number;
}

export type CouponType = "PERCENTAGE" | "FIXED_AMOUNT";

/** A discount code as stored; `code` is upper case (codes compare without letter case). */
export interface Coupon {
  id: string;
  code: string;
  type: CouponType;
  /** Basis points for PERCENTAGE (1000 = 10 %), minor units of `currency` for FIXED_AMOUNT. */
  value: number;
  /** Set for FIXED_AMOUNT and for a minimum subtotal: the coupon applies to carts in it only. */
  currency: string | null;
  minSubtotalAmount: number;
  startsAt: Date | null;
  endsAt: Date | null;
  usageLimit: number | null;
  perCustomerLimit: number | null;
  active: boolean;
  redeemedCount: number;
}

/** Where an order goes, as far as tax and shipping care. */
export interface Destination {
  /** ISO 3166-1 alpha-2, upper case. */
  country: string;
  region: string | null;
}

/** A postal address as an order keeps it (accounts' Address without id and default flag). */
export interface PostalAddress {
  recipientName: string;
  line1: string;
  line2: string | null;
  city: string;
  region: string | null;
  postalCode: string;
  country: string;
  phone: string | null;
}
