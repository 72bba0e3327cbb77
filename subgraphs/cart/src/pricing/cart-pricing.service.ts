import { DomainError, ErrorCode, notFound, badInput, checkSavedAddress, postalCodeOf, regionOf } from "#kernel";
import { cartCurrency, type PricedCart } from "../domain/cart.js";
import { cartEmptyForCoupon } from "../domain/cart.service.js";
import { computeOrderTotals, type OrderTotals } from "./order-totals.js";
import { asTypedCodeSees, couponInvalid, couponProblem, normaliseCouponCode, type CouponProblem } from "./coupon.js";
import { normaliseRegion } from "./tax-rate.js";
import { validCountryCode } from "./pricing-input.js";
import type { Coupon, Destination, ShippingMethod } from "./pricing-types.js";
import type { PricingData, PricingQuery, PricingStore } from "../ports/pricing-store.js";
import { MAX_SHIPPING_CHOICES } from "./pricing-admin.service.js";

/** A priced cart: the totals, and the coupon and shipping method they used. */
export interface CartQuote {
  totals: OrderTotals;
  coupon: Coupon | null;
  shippingMethod: ShippingMethod | null;
  /** Why the cart's own coupon was left out (estimates only; checkout refuses instead). */
  couponProblem: CouponProblem | null;
}

export interface QuoteRequest {
  /** The cart's key (a customer's user id, or a guest cart's id). */
  cartKey: string;
  /** The customer, for per-customer coupon limits; null for a guest. */
  userId: string | null;
  destination: Destination | null;
  shippingMethodId: string | null;
  /** A coupon code to use instead of the cart's. */
  couponCode: string | null;
  /** Checkout refuses what an estimate leaves out: a coupon that does not apply, a missing method. */
  strict: boolean;
}

/** What a quote of this request reads; null for a coupon code no coupon can have (the quote refuses it unread). */
export function pricingQueryOf(request: QuoteRequest): PricingQuery | null {
  const couponCode = request.couponCode === null ? null : normaliseCouponCode(request.couponCode);
  if (request.couponCode !== null && couponCode === null) return null;
  return { shippingMethodId: request.shippingMethodId, country: request.destination?.country ?? null, couponCode, userId: request.userId, cartKey: request.cartKey };
}

const shippingUnavailable = (message: string, shippingMethodId: string) => new DomainError(ErrorCode.SHIPPING_UNAVAILABLE, message, { shippingMethodId });

/**
 * Prices carts for the estimate and for checkout with one function (computeOrderTotals) on one
 * read of the pricing data, and keeps the cart's coupon: a coupon is checked when applied and
 * again whenever the cart is priced.
 */
export function createCartPricingService(deps: { store: PricingStore; clock?: () => Date }) {
  const { store } = deps;
  const clock = deps.clock ?? (() => new Date());

  /**
   * `read`: the pricing data read for this very request already (`pricingQueryOf`'s query, sent
   * with other statements in one round trip); read here otherwise.
   */
  async function quote(cart: PricedCart, request: QuoteRequest, read?: PricingData): Promise<CartQuote> {
    const currency = cartCurrency(cart);
    const query = pricingQueryOf(request);
    if (!query) throw couponInvalid("UNKNOWN", null);
    const explicitCode = query.couponCode;
    const data = read ?? (await store.read(query));
    const method = data.shippingMethod;
    if (request.shippingMethodId !== null) {
      if (!method) throw notFound("Shipping method", request.shippingMethodId);
      if (request.destination && !method.countries.includes(request.destination.country)) {
        throw shippingUnavailable(`${method.name} does not ship to ${request.destination.country}`, method.id);
      }
      // Only what shippingMethods lists is sold: a country given more methods than it lists
      // (before creation held the cap) keeps the cheapest of them on offer.
      if (request.destination && data.cheaperShippingMethods >= MAX_SHIPPING_CHOICES) {
        throw shippingUnavailable(`${method.name} is not among the shipping methods offered to ${request.destination.country}`, method.id);
      }
      if (cart.lines.length > 0 && method.price.currency !== currency) {
        throw shippingUnavailable(`${method.name} is priced in ${method.price.currency}, your cart in ${currency}`, method.id);
      }
    } else if (request.strict) {
      throw badInput("Choose a shipping method", { field: "shippingMethodId" });
    }

    const code = explicitCode ?? data.cartCouponCode;
    const subtotal = cart.lines.reduce((sum, line) => sum + line.current.amount * line.quantity, 0);
    let coupon: Coupon | null = null;
    let problem: CouponProblem | null = null;
    if (code !== null) {
      problem = data.coupon ? couponProblem(data.coupon, { currency, subtotal, now: clock(), usedByCustomer: data.usedByCustomer }) : "UNKNOWN";
      if (explicitCode !== null && explicitCode !== data.cartCouponCode) problem = asTypedCodeSees(problem);
      if (problem !== null && (request.strict || explicitCode !== null)) throw couponInvalid(problem, code);
      if (problem === null) coupon = data.coupon;
    }
    const totals = computeOrderTotals({
      currency,
      lines: cart.lines.map((line) => ({ variantId: line.variantId, category: line.category, unitPrice: line.current, quantity: line.quantity })),
      coupon,
      shipping: method,
      taxRates: data.taxRates,
      destination: request.destination,
    });
    return { totals, coupon, shippingMethod: method, couponProblem: problem };
  }

  return {
    quote,

    /**
     * The code a customer typed, as the cart stores it (upper case, trimmed); COUPON_INVALID
     * (UNKNOWN) when it cannot be a code.
     */
    couponToApply(code: string): string {
      const normal = code.length > 100 ? null : normaliseCouponCode(code);
      if (normal === null) throw couponInvalid("UNKNOWN", null);
      return normal;
    },

    /** Whether a coupon (a code couponToApply gave) applies to a cart with lines now: COUPON_INVALID with the reason, or CART_EMPTY. */
    async checkCoupon(cart: PricedCart, userId: string | null, code: string): Promise<void> {
      if (cart.lines.length === 0) throw cartEmptyForCoupon();
      await quote(cart, { cartKey: cart.userId, userId, destination: null, shippingMethodId: null, couponCode: code, strict: false });
    },

    /**
     * Puts back the coupon of an order put back in the cart whose use the order gave back (a
     * declined payment, a cancel), so the cart costs what that order did: only on a cart with
     * lines and no coupon of its own (one the customer applied meanwhile stays, in one
     * conditional write), and only if it applies to the cart now. A coupon that no longer does
     * (used up, expired since) stays off without a word: the items went back all the same, and
     * the estimate shows the total without it. True when the coupon was put on.
     */
    async restoreCoupon(cart: PricedCart, userId: string, code: string): Promise<boolean> {
      const normal = normaliseCouponCode(code);
      if (normal === null || cart.lines.length === 0) return false;
      try {
        await quote(cart, { cartKey: cart.userId, userId, destination: null, shippingMethodId: null, couponCode: normal, strict: false });
      } catch (error) {
        if ((error as { extensions?: { code?: unknown } }).extensions?.code === ErrorCode.COUPON_INVALID) return false;
        throw error;
      }
      return store.setCartCoupon(cart.userId, normal, { onlyIfNone: true });
    },

    couponCodes: (cartKeys: readonly string[]) => store.cartCouponCodes(cartKeys),
  };
}

export type CartPricingService = ReturnType<typeof createCartPricingService>;

/**
 * A destination from a country code (and region) typed by a client for an estimate: a region
 * given must be one an address could have (regionOf); none estimates with the country's own
 * rates, as a cart page does before an address is known (checkout always has the region).
 */
export function destinationOf(countryCode: string, region: string | null | undefined): Destination {
  const country = validCountryCode(countryCode);
  return { country, region: normaliseRegion(regionOf(country, region, { optional: true })) };
}

/**
 * The destination of a saved address, held to today's address rules: a region saved before
 * they were, or a postal code of another region than the one saved beside it, is
 * ADDRESS_NEEDS_UPDATE (as checkout answers it), never a guess at its tax.
 */
export const savedDestinationOf = (addressId: string, address: { country: string; region?: string | null; postalCode: string }): Destination =>
  checkSavedAddress(addressId, () => {
    const region = regionOf(address.country, address.region);
    postalCodeOf(address.country, region, address.postalCode);
    return { country: address.country, region: normaliseRegion(region) };
  });
