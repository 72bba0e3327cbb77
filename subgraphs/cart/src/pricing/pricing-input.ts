import { badInput, isCountryCode, isCurrencyCode, isoDateTime, regionOf, singleLineText } from "#kernel";
import { COUPON_CODE_PATTERN } from "./coupon.js";
import { normaliseCategory, normaliseRegion } from "./tax-rate.js";
import type { Coupon, CouponType, ShippingMethod, TaxRate } from "./pricing-types.js";

/**
 * Input rules for the pricing admin mutations. Amounts are bounded well inside GraphQL's Int
 * (and so inside every sum an order can make of them); text is one printable line.
 */
export const MAX_AMOUNT = 100_000_000;
const MAX_DAYS = 365;
const MAX_COUNTRIES = 250;

const text = (field: string, value: string, max: number): string => singleLineText(field, value, { max });

function whole(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw badInput(`${field} must be a whole number from ${min} to ${max}`, { field });
  return value;
}

export function validCountryCode(code: string, field = "countryCode"): string {
  const normal = code.trim().toUpperCase();
  if (!isCountryCode(normal)) throw badInput(`${field} must be an ISO 3166-1 alpha-2 country code such as DE`, { field });
  return normal;
}

export function validCurrency(code: string, field = "currency"): string {
  const normal = code.trim().toUpperCase();
  if (!isCurrencyCode(normal)) throw badInput(`${field} must be an ISO 4217 currency code such as USD`, { field });
  return normal;
}

const validDate = (field: string, value: string | null | undefined): Date | null => (value === null || value === undefined ? null : isoDateTime(field, value));

export interface ShippingMethodInput {
  name: string;
  price: number;
  currency: string;
  countries: readonly string[];
  freeOver?: number | null;
  minDeliveryDays: number;
  maxDeliveryDays: number;
}

export function validShippingMethod(input: ShippingMethodInput): Omit<ShippingMethod, "id"> {
  const currency = validCurrency(input.currency);
  if (input.countries.length === 0 || input.countries.length > MAX_COUNTRIES) {
    throw badInput(`countries lists 1 to ${MAX_COUNTRIES} country codes`, { field: "countries" });
  }
  const countries = [...new Set(input.countries.map((country) => validCountryCode(country, "countries")))].sort();
  const minDeliveryDays = whole("minDeliveryDays", input.minDeliveryDays, 0, MAX_DAYS);
  const maxDeliveryDays = whole("maxDeliveryDays", input.maxDeliveryDays, 0, MAX_DAYS);
  if (maxDeliveryDays < minDeliveryDays) throw badInput("maxDeliveryDays must not be below minDeliveryDays", { field: "maxDeliveryDays" });
  const freeOver = input.freeOver === null || input.freeOver === undefined ? null : whole("freeOver", input.freeOver, 0, MAX_AMOUNT);
  return {
    name: text("name", input.name, 100),
    price: { amount: whole("price", input.price, 0, MAX_AMOUNT), currency },
    countries,
    freeOver: freeOver === null ? null : { amount: freeOver, currency },
    minDeliveryDays,
    maxDeliveryDays,
  };
}

/** A tax rate; its region as an address names it (a subdivision code in the US and Canada), or none for the whole country. */
export function validTaxRate(input: { countryCode: string; region?: string | null; category?: string | null; rateBasisPoints: number }): TaxRate {
  const countryCode = validCountryCode(input.countryCode);
  const region = normaliseRegion(regionOf(countryCode, input.region, { optional: true }));
  const category = input.category === null || input.category === undefined || input.category.trim() === "" ? null : normaliseCategory(text("category", input.category, 100));
  return {
    countryCode,
    region,
    category,
    rateBasisPoints: whole("rateBasisPoints", input.rateBasisPoints, 0, 10_000),
  };
}

export interface CouponInput {
  code: string;
  type: CouponType;
  value: number;
  currency?: string | null;
  minimumSubtotal?: number | null;
  startsAt?: string | null;
  endsAt?: string | null;
  usageLimit?: number | null;
  perCustomerLimit?: number | null;
  active?: boolean | null;
}

export function validCoupon(input: CouponInput): Omit<Coupon, "id" | "redeemedCount"> {
  const code = input.code.trim().toUpperCase();
  if (!COUPON_CODE_PATTERN.test(code)) throw badInput("A coupon code has 1-40 letters, digits, '-' or '_', starting with a letter or digit", { field: "code" });
  const currency = input.currency === null || input.currency === undefined ? null : validCurrency(input.currency);
  const minSubtotalAmount = input.minimumSubtotal === null || input.minimumSubtotal === undefined ? 0 : whole("minimumSubtotal", input.minimumSubtotal, 0, MAX_AMOUNT);
  if (input.type === "PERCENTAGE") whole("value", input.value, 1, 10_000);
  else whole("value", input.value, 1, MAX_AMOUNT);
  if (currency === null && (input.type === "FIXED_AMOUNT" || minSubtotalAmount > 0)) {
    throw badInput("A fixed-amount coupon, or one with a minimum subtotal, names its currency", { field: "currency" });
  }
  const startsAt = validDate("startsAt", input.startsAt);
  const endsAt = validDate("endsAt", input.endsAt);
  if (startsAt && endsAt && endsAt <= startsAt) throw badInput("endsAt must be after startsAt", { field: "endsAt" });
  const limit = (field: string, value: number | null | undefined) => (value === null || value === undefined ? null : whole(field, value, 1, 1_000_000_000));
  return {
    code,
    type: input.type,
    value: input.value,
    currency,
    minSubtotalAmount,
    startsAt,
    endsAt,
    usageLimit: limit("usageLimit", input.usageLimit),
    perCustomerLimit: limit("perCustomerLimit", input.perCustomerLimit),
    active: input.active ?? true,
  };
}
