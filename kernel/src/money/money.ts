import { badInput } from "../errors/domain-error.js";
import { isCurrencyCode } from "./currency-codes.js";

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
  if (!isCurrencyCode(currency)) throw badInput("A currency must be an ISO 4217 code such as USD", { field: "currency", currency });
  return { amount, currency };
}

/**
 * The most one order may cost, in minor units: what one charge can take at the payment
 * provider (Stripe's limit, 999,999.99 in a currency of cents; the simulator's too). An order
 * past it was placed PENDING and then refused by the provider on every try. Every amount an
 * order is made of stays far inside GraphQL's Int and the order's int4 columns below it.
 */
export const MAX_ORDER_TOTAL = 99_999_999;

/** The most one unit of anything may cost: no more than a whole order. */
export const MAX_UNIT_PRICE = MAX_ORDER_TOTAL;

/** A price a product or variant may carry: money of at most MAX_UNIT_PRICE. */
export function unitPrice(amount: number, currency: string): Money {
  const price = money(amount, currency);
  if (price.amount > MAX_UNIT_PRICE) throw badInput(`A price is at most ${MAX_UNIT_PRICE.toLocaleString("en-US")} minor units`, { field: "priceAmount", limit: MAX_UNIT_PRICE });
  return price;
}

/** Why an order (or a cart's lines) adding up to `amount` cannot be bought, or null when it can. */
export const orderTotalProblem = (amount: number): string | null =>
  amount > MAX_ORDER_TOTAL ? `An order costs at most ${MAX_ORDER_TOTAL.toLocaleString("en-US")} minor units of its currency, tax and shipping included; split it into several orders` : null;

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
