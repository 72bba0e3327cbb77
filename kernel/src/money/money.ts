import { badInput } from "../errors/domain-error.js";

/** Money as integer minor units plus an ISO 4217 code; never a float. */
export interface Money {
  amount: number;
  currency: string;
}

const MAX_AMOUNT = 100_000_000_00;

export function money(amount: number, currency: string): Money {
  if (!Number.isSafeInteger(amount) || amount < 0 || amount > MAX_AMOUNT) {
    throw badInput("An amount must be a whole number of minor units between 0 and 10,000,000,000", { amount });
  }
  if (!/^[A-Z]{3}$/.test(currency)) throw badInput("A currency must be a three-letter ISO 4217 code", { currency });
  return { amount, currency };
}

/**
 * The most one unit of anything may cost, in minor units. With MAX_ORDER_SUBTOTAL it keeps
 * every amount an order is made of inside GraphQL's Int and the order's int4 columns: products
 * up to MAX_ORDER_SUBTOTAL, tax at most 100 % of that, shipping at most one MAX_UNIT_PRICE.
 */
export const MAX_UNIT_PRICE = 100_000_000;

/** The most an order's (and a cart's) products may add up to, in minor units. */
export const MAX_ORDER_SUBTOTAL = 1_000_000_000;

/** A price a product or variant may carry: money of at most MAX_UNIT_PRICE. */
export function unitPrice(amount: number, currency: string): Money {
  const price = money(amount, currency);
  if (price.amount > MAX_UNIT_PRICE) throw badInput(`A price is at most ${MAX_UNIT_PRICE.toLocaleString("en-US")} minor units`, { field: "priceAmount", limit: MAX_UNIT_PRICE });
  return price;
}

/** Why an order of this subtotal cannot be placed, or null when it can. */
export const orderSubtotalProblem = (subtotal: number): string | null =>
  subtotal > MAX_ORDER_SUBTOTAL ? `An order's products add up to at most ${MAX_ORDER_SUBTOTAL.toLocaleString("en-US")} minor units of its currency; split it into several orders` : null;

/** Sums amounts of one currency; mixing currencies is a programming error, not user input. */
export function sumMoney(amounts: Money[], currency: string): Money {
  let total = 0;
  for (const m of amounts) {
    if (m.currency !== currency) throw new Error(`Cannot add ${m.currency} to ${currency}`);
    total += m.amount;
  }
  return { amount: total, currency };
}

export const multiplyMoney = (m: Money, quantity: number): Money => ({ amount: m.amount * quantity, currency: m.currency });
