import DataLoader from "dataloader";
import type { AddressBook } from "../ports/address-book.js";
import type { CartPricingService } from "./cart-pricing.service.js";
import type { PricingAdminService } from "./pricing-admin.service.js";

/** What the cart's pricing resolvers find in the request context. */
export interface CartPricingContext {
  pricing: CartPricingService;
  pricingAdmin: PricingAdminService;
  addresses: AddressBook;
  /** The coupon code of each cart read in this request, one query for all. */
  couponCodes: DataLoader<string, string | null>;
}

export function createCartPricingContext(deps: { pricing: CartPricingService; pricingAdmin: PricingAdminService; addresses: AddressBook }): CartPricingContext {
  const { pricing } = deps;
  return {
    ...deps,
    couponCodes: new DataLoader(async (keys) => {
      const found = await pricing.couponCodes(keys);
      return keys.map((key) => found.get(key) ?? null);
    }),
  };
}
