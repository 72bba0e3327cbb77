import type { PrismaClient } from "#kernel/relational";
import type { CheckoutRequest } from "../../src/domain/checkout-request.js";

/** A valid US address for checkouts whose address is not the point of the test. */
export const TEST_ADDRESS = {
  recipientName: "Ada Lovelace",
  line1: "1 Main Street",
  city: "Springfield",
  region: "IL",
  postalCode: "62701",
  country: "US",
} as const;

/** A free shipping method to the US in USD, so totals are the lines' sum unless a test sets more. */
export const TEST_SHIPPING_METHOD_ID = "shp_test_free";

export async function seedTestShipping(prisma: PrismaClient): Promise<void> {
  await prisma.shippingMethod.upsert({
    where: { id: TEST_SHIPPING_METHOD_ID },
    create: { id: TEST_SHIPPING_METHOD_ID, name: "Test free shipping", priceAmount: 0, currency: "USD", countries: ["US"], minDeliveryDays: 1, maxDeliveryDays: 3 },
    update: {},
  });
}

/** checkout's arguments with that address and method, and whatever the test adds. */
export const checkoutRequest = (idempotencyKey: string, extra: Partial<CheckoutRequest> = {}): CheckoutRequest => ({
  idempotencyKey,
  shippingAddress: TEST_ADDRESS,
  shippingMethodId: TEST_SHIPPING_METHOD_ID,
  ...extra,
});

/** When a cart line was put in the cart: a test calling the order store's `place` itself names the line it takes by it. */
export async function lineAddedAt(prisma: PrismaClient, userId: string, variantId: string): Promise<Date> {
  return (await prisma.cartItem.findUniqueOrThrow({ where: { userId_variantId: { userId, variantId } } })).addedAt;
}
