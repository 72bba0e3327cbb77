import { createHash } from "node:crypto";
import { badInput, checkSavedAddress, notFound } from "#kernel";
import { validAddress, type AddressInput } from "../../../accounts/src/index.js";
import type { OrderAddress } from "./order.js";
import type { SavedAddresses } from "../ports/saved-addresses.js";

/** checkout's arguments. Prices, tax and shipping costs are never among them: the server computes them. */
export interface CheckoutRequest {
  idempotencyKey: string;
  /** One of the customer's saved addresses; exactly one of this and `shippingAddress`. */
  shippingAddressId?: string | null;
  /** An address typed at checkout, validated as accounts validates saved ones. */
  shippingAddress?: AddressInput | null;
  shippingMethodId: string;
  /** A coupon instead of the cart's. */
  couponCode?: string | null;
  /** The payment provider's payment-method token, passed to payments with the charge. */
  paymentMethod?: string | null;
  /**
   * The total the customer was shown (the estimate's), in minor units: not what is charged (the
   * server prices the order) but a bound on it, so a rate that changed since is refused.
   */
  expectedTotal?: number | null;
}

const MAX_ID_LENGTH = 100;
// A provider's token is a short opaque word (pm_card_visa, tok_...): nothing else travels on.
const PAYMENT_METHOD = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

/** The checks that need no I/O, done before anything is read. */
export function checkRequestShape(request: CheckoutRequest): void {
  const byId = request.shippingAddressId !== null && request.shippingAddressId !== undefined;
  const typed = request.shippingAddress !== null && request.shippingAddress !== undefined;
  if (byId === typed) throw badInput("Give exactly one of shippingAddressId and shippingAddress", { field: "shippingAddress" });
  if (request.shippingMethodId.length === 0 || request.shippingMethodId.length > MAX_ID_LENGTH) {
    throw notFound("Shipping method", request.shippingMethodId.slice(0, MAX_ID_LENGTH));
  }
  if (request.couponCode !== null && request.couponCode !== undefined && request.couponCode.length > MAX_ID_LENGTH) {
    throw badInput(`A coupon code has at most ${MAX_ID_LENGTH} characters`, { field: "couponCode" });
  }
  if (request.paymentMethod !== null && request.paymentMethod !== undefined && !PAYMENT_METHOD.test(request.paymentMethod)) {
    throw badInput("paymentMethod is a payment provider's token: 1-64 letters, digits, '_', '.', ':' or '-'", { field: "paymentMethod" });
  }
}

/**
 * The address the order ships to: the saved one (NOT_FOUND for any other id) or the typed one,
 * validated. A saved address is held to today's rules too: one stored before they were (a
 * region tax cannot be matched to, invisible characters) would otherwise be shipped to and
 * taxed as its text happens to fall; it is refused with ADDRESS_NEEDS_UPDATE, naming the
 * field, so the customer fixes it once with updateAddress.
 */
export async function shippingAddressOf(request: CheckoutRequest, userId: string, addresses: SavedAddresses): Promise<OrderAddress> {
  if (request.shippingAddress) return validAddress(request.shippingAddress);
  const id = request.shippingAddressId!;
  const saved = id.length <= MAX_ID_LENGTH ? await addresses.savedAddress(userId, id) : null;
  if (!saved) throw notFound("Address", id.slice(0, MAX_ID_LENGTH));
  return checkSavedAddress(id, () => validAddress(saved));
}

/**
 * Where a typed address ships, known before anything is read (a saved one is the accounts'
 * to tell); null for a saved address, or a typed one shippingAddressOf refuses.
 */
export function typedDestinationOf(request: CheckoutRequest): { country: string; region: string | null } | null {
  if (!request.shippingAddress) return null;
  try {
    const { country, region } = validAddress(request.shippingAddress);
    return { country, region };
  } catch {
    return null;
  }
}

/**
 * The same address, shipping method, coupon argument and payment method always give the same
 * fingerprint, so a key reused with other ones is told from a retry even after the cart was
 * emptied. A saved address counts by its id: the customer may edit or remove it on another
 * device while a checkout's answer is lost, and the retry of that very checkout is still the
 * same request (answered with its order, which keeps the address as it was). A typed address
 * counts by what it says. Without a payment method the fingerprint is the one keys had before
 * methods counted, so a retry of such an order placed before matches it still.
 */
export function optionsFingerprint(address: OrderAddress | { savedAddressId: string }, shippingMethodId: string, couponCode: string | null, paymentMethod: string | null): string {
  const destination =
    "savedAddressId" in address
      ? ["saved-address", address.savedAddressId]
      : [address.recipientName, address.line1, address.line2, address.city, address.region, address.postalCode, address.country, address.phone];
  const canonical = [
    ...destination,
    shippingMethodId,
    couponCode,
    // A retry under a key charges the method its first call named: another one is another request.
    ...(paymentMethod === null ? [] : [paymentMethod]),
  ];
  return createHash("sha256").update(JSON.stringify(canonical)).digest("hex");
}

