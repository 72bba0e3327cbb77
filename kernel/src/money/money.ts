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
