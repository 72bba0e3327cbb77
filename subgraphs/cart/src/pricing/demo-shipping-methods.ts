import type { PrismaClient } from "#kernel/relational";
import { shippingMethodRow } from "../adapters/prisma-pricing.store.js";
import type { ShippingMethod } from "./pricing-types.js";

// The demo catalog is priced in USD; these countries cover the README's examples and tests.
const DEMO_COUNTRIES = ["AT", "AU", "BE", "CA", "CH", "DE", "DK", "ES", "FR", "GB", "IE", "IT", "NL", "PL", "PT", "SE", "US"];

/**
 * The demo store's shipping methods, with fixed ids so examples and tests can name them:
 * standard shipping is free (so a purchase's total is its lines unless tax or express are
 * chosen), express costs $14.99 and is free from $200.
 */
export const DEMO_SHIPPING_METHODS: readonly ShippingMethod[] = [
  { id: "shp_standard", name: "Standard", price: { amount: 0, currency: "USD" }, countries: DEMO_COUNTRIES, freeOver: null, minDeliveryDays: 3, maxDeliveryDays: 5 },
  {
    id: "shp_express",
    name: "Express",
    price: { amount: 1499, currency: "USD" },
    countries: DEMO_COUNTRIES,
    freeOver: { amount: 20_000, currency: "USD" },
    minDeliveryDays: 1,
    maxDeliveryDays: 2,
  },
];

/**
 * Seeds the demo shipping methods into a store that has none, so the zero-setup start can
 * check out. A store with any shipping method is left alone; concurrent starts insert each
 * method once (ON CONFLICT on the fixed id).
 */
export async function seedDemoShippingMethods(prisma: PrismaClient): Promise<number> {
  if ((await prisma.shippingMethod.findFirst({ select: { id: true } })) !== null) return 0;
  const { count } = await prisma.shippingMethod.createMany({ data: DEMO_SHIPPING_METHODS.map(shippingMethodRow), skipDuplicates: true });
  return count;
}
