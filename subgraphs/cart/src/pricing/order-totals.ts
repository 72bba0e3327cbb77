import { badInput, MAX_ORDER_TOTAL, orderTotalProblem, type Money } from "#kernel";
import { taxRateFor } from "./tax-rate.js";
import type { Coupon, Destination, ShippingMethod, TaxRate } from "./pricing-types.js";

/** A line to price: units of a variant at its unit price, with its catalog category. */
export interface PricingLine {
  variantId: string;
  category: string | null;
  unitPrice: Money;
  quantity: number;
}

/** One line's share of the totals. */
export interface LineTotals {
  variantId: string;
  /** unitPrice times quantity. */
  subtotal: Money;
  /** The line's share of the order's discount. */
  discount: Money;
  /** Tax on (subtotal - discount), rounded half up. */
  tax: Money;
  taxRateBasisPoints: number;
}

/** total = subtotal - discountTotal + shippingTotal + taxTotal, exactly, in minor units. */
export interface OrderTotals {
  subtotal: Money;
  discountTotal: Money;
  shippingTotal: Money;
  taxTotal: Money;
  total: Money;
  lines: LineTotals[];
}

/**
 * The one pricing function: the cart's estimate and checkout both call it, so what a customer
 * is shown is what they are charged. Integer arithmetic throughout (BigInt where products of
 * amounts could pass 2^53):
 * - discount: PERCENTAGE is value basis points of the subtotal, rounded half up; FIXED_AMOUNT
 *   is its amount, at most the subtotal. It is shared over the lines in proportion to their
 *   subtotals, each share rounded down, the cents left over going one each to the lines with
 *   the largest remainders (earlier lines first on ties), so the shares add up to the discount;
 * - tax: per line, its rate (see taxRateFor) times (line subtotal - line discount), rounded half
 *   up to the minor unit; the order's tax is the sum of the lines' taxes;
 * - shipping: the method's price, or 0 once the subtotal after discount reaches its free-over
 *   amount; shipping is not taxed;
 * - no shipping method (an estimate without one) prices shipping at 0.
 * The coupon must already be known to apply (see couponProblem); this function only prices.
 */
export function computeOrderTotals(input: {
  currency: string;
  lines: readonly PricingLine[];
  coupon: Coupon | null;
  shipping: ShippingMethod | null;
  taxRates: readonly TaxRate[];
  destination: Destination | null;
}): OrderTotals {
  const { currency } = input;
  const money = (amount: bigint): Money => ({ amount: Number(amount), currency });
  const lineSubtotals = input.lines.map((line) => BigInt(line.unitPrice.amount) * BigInt(line.quantity));
  const subtotal = lineSubtotals.reduce((sum, amount) => sum + amount, 0n);
  // Products alone past what one charge can take: refused before any more arithmetic.
  const tooMuch = orderTotalProblem(Number(subtotal));
  if (tooMuch) throw badInput(tooMuch, { limit: MAX_ORDER_TOTAL });
  const discount = discountOf(input.coupon, subtotal);
  const shares = allocate(discount, lineSubtotals);
  const lines: LineTotals[] = input.lines.map((line, i) => {
    const rate = input.destination ? taxRateFor(input.taxRates, input.destination, line.category) : 0;
    const taxable = lineSubtotals[i]! - shares[i]!;
    return {
      variantId: line.variantId,
      subtotal: money(lineSubtotals[i]!),
      discount: money(shares[i]!),
      tax: money(roundHalfUp(taxable * BigInt(rate), 10_000n)),
      taxRateBasisPoints: rate,
    };
  });
  const tax = lines.reduce((sum, line) => sum + BigInt(line.tax.amount), 0n);
  const shipping = shippingOf(input.shipping, subtotal - discount);
  // The whole order, tax and shipping included, is one charge at the provider.
  const overTotal = orderTotalProblem(Number(subtotal - discount + shipping + tax));
  if (overTotal) throw badInput(overTotal, { limit: MAX_ORDER_TOTAL });
  return {
    subtotal: money(subtotal),
    discountTotal: money(discount),
    shippingTotal: money(shipping),
    taxTotal: money(tax),
    total: money(subtotal - discount + shipping + tax),
    lines,
  };
}

function discountOf(coupon: Coupon | null, subtotal: bigint): bigint {
  if (!coupon) return 0n;
  if (coupon.type === "PERCENTAGE") return roundHalfUp(subtotal * BigInt(coupon.value), 10_000n);
  const amount = BigInt(coupon.value);
  return amount < subtotal ? amount : subtotal;
}

function shippingOf(method: ShippingMethod | null, merchandise: bigint): bigint {
  if (!method) return 0n;
  if (method.freeOver && merchandise >= BigInt(method.freeOver.amount)) return 0n;
  return BigInt(method.price.amount);
}

/** Splits `total` over `weights` in proportion, exactly (largest remainder). */
export function allocate(total: bigint, weights: readonly bigint[]): bigint[] {
  const sum = weights.reduce((a, b) => a + b, 0n);
  if (total === 0n || sum === 0n) return weights.map(() => 0n);
  const shares = weights.map((w) => (total * w) / sum);
  const remainders = weights.map((w, i) => ({ i, rest: (total * w) % sum }));
  let left = total - shares.reduce((a, b) => a + b, 0n);
  remainders.sort((a, b) => (a.rest === b.rest ? a.i - b.i : a.rest > b.rest ? -1 : 1));
  for (const { i } of remainders) {
    if (left === 0n) break;
    shares[i]! += 1n;
    left -= 1n;
  }
  return shares;
}

/** n / d rounded half up, for n >= 0 and d > 0. */
export const roundHalfUp = (n: bigint, d: bigint): bigint => (2n * n + d) / (2n * d);
