import { badInput, notFound, requireAdmin, requireUser } from "#kernel";
import { cartOwnerOf, isGuestOwner } from "../domain/cart-owner.js";
import { destinationOf, savedDestinationOf } from "../pricing/cart-pricing.service.js";
import type { PricedCart } from "../domain/cart.js";
import type { Destination } from "../pricing/pricing-types.js";
import type {
  CartEstimateLineResolvers,
  CartEstimateResolvers,
  CouponResolvers,
  MutationResolvers,
  QueryResolvers,
  CartResolvers,
} from "../generated/resolvers-types.js";

/** The customer behind a cart, for per-customer coupon limits; null for a guest's cart. */
const customerOf = (cart: PricedCart): string | null => (isGuestOwner(cart.userId) ? null : cart.userId);

export const pricingQuery: Pick<QueryResolvers, "shippingMethods"> = {
  shippingMethods: (_root, { countryCode }, ctx) => ctx.pricingAdmin.shippingMethodsTo(countryCode),
};

export const pricingMutation: Pick<MutationResolvers, "applyCoupon" | "removeCoupon" | "createShippingMethod" | "setTaxRate" | "createCoupon"> = {
  applyCoupon: (_root, { code, idempotencyKey }, ctx) => {
    const normal = ctx.pricing.couponToApply(code);
    return ctx.service.setCoupon(cartOwnerOf(ctx), normal, ctx.lookups, idempotencyKey, (cart) => ctx.pricing.checkCoupon(cart, customerOf(cart), normal));
  },
  removeCoupon: (_root, { idempotencyKey }, ctx) => ctx.service.setCoupon(cartOwnerOf(ctx), null, ctx.lookups, idempotencyKey),
  createShippingMethod: (_root, { input, idempotencyKey }, ctx) => {
    requireAdmin(ctx);
    return ctx.pricingAdmin.createShippingMethod(input, idempotencyKey ?? null);
  },
  setTaxRate: (_root, args, ctx) => {
    requireAdmin(ctx);
    return ctx.pricingAdmin.setTaxRate(args);
  },
  createCoupon: (_root, { input }, ctx) => {
    requireAdmin(ctx);
    return ctx.pricingAdmin.createCoupon(input);
  },
};

export const cartPricing: Pick<CartResolvers, "couponCode" | "estimate"> = {
  couponCode: (cart, _args, ctx) => ctx.couponCodes.load(cart.userId),
  estimate: async (cart, { shippingAddressId, countryCode, region, shippingMethodId }, ctx) => {
    let destination: Destination;
    if ((shippingAddressId == null) === (countryCode == null)) {
      throw badInput("Name the destination by exactly one of shippingAddressId and countryCode", { field: "shippingAddressId" });
    }
    if (shippingAddressId != null) {
      const userId = requireUser(ctx).userId;
      const address = shippingAddressId.length <= 100 ? await ctx.addresses.savedAddress(userId, shippingAddressId) : null;
      if (!address) throw notFound("Address", shippingAddressId.slice(0, 100));
      destination = savedDestinationOf(shippingAddressId, address);
    } else {
      if (region != null && region.length > 100) throw badInput("region may have at most 100 characters", { field: "region" });
      destination = destinationOf(countryCode!, region);
    }
    if (shippingMethodId != null && shippingMethodId.length > 100) throw notFound("Shipping method", shippingMethodId.slice(0, 100));
    return ctx.pricing.quote(cart, {
      cartKey: cart.userId,
      userId: customerOf(cart),
      destination,
      shippingMethodId: shippingMethodId ?? null,
      couponCode: null,
      strict: false,
    });
  },
};

export const CartEstimate: CartEstimateResolvers = {
  subtotal: (quote) => quote.totals.subtotal,
  discountTotal: (quote) => quote.totals.discountTotal,
  shippingTotal: (quote) => quote.totals.shippingTotal,
  taxTotal: (quote) => quote.totals.taxTotal,
  total: (quote) => quote.totals.total,
  couponCode: (quote) => quote.coupon?.code ?? null,
  couponProblem: (quote) => quote.couponProblem,
  shippingMethod: (quote) => quote.shippingMethod,
  lines: (quote) => quote.totals.lines,
};

export const CartEstimateLine: CartEstimateLineResolvers = {
  variant: (line) => ({ __typename: "ProductVariant", id: line.variantId }),
};

export const Coupon: CouponResolvers = {
  minimumSubtotal: (coupon) => coupon.minSubtotalAmount,
  startsAt: (coupon) => coupon.startsAt?.toISOString() ?? null,
  endsAt: (coupon) => coupon.endsAt?.toISOString() ?? null,
  timesRedeemed: (coupon) => coupon.redeemedCount,
};
