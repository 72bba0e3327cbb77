import { randomBytes } from "node:crypto";

/** A charge as the simulator records it (Stripe's field names, amounts in minor units). */
export interface Charge {
  id: string;
  object: "charge";
  amount: number;
  currency: string;
  customer: string | null;
  description: string | null;
  metadata: Record<string, string>;
  status: "succeeded" | "failed";
  captured: boolean;
  amount_refunded: number;
  refunded: boolean;
  failure_code: string | null;
  /** Epoch seconds, as Stripe gives it. */
  created: number;
}

export interface Refund {
  id: string;
  object: "refund";
  charge: string;
  amount: number;
  currency: string;
  status: "succeeded";
  created: number;
}

export interface LedgerFilter {
  customer?: string;
  paymentId?: string;
  orderId?: string;
}

const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString("hex")}`;

/**
 * Every charge the simulator executed, captured or declined, and every refund: what a test
 * inspects to prove how many times a customer was really charged.
 */
export class Ledger {
  private readonly charges = new Map<string, Charge>();
  private readonly refunds: Refund[] = [];

  recordCharge(input: { amount: number; currency: string; customer?: string; description?: string; metadata: Record<string, string> }, declineCode?: string): Charge {
    const charge: Charge = {
      id: newId("ch"),
      object: "charge",
      amount: input.amount,
      currency: input.currency,
      customer: input.customer ?? null,
      description: input.description ?? null,
      metadata: input.metadata,
      status: declineCode ? "failed" : "succeeded",
      captured: !declineCode,
      amount_refunded: 0,
      refunded: false,
      failure_code: declineCode ?? null,
      created: Math.floor(Date.now() / 1000),
    };
    this.charges.set(charge.id, charge);
    return charge;
  }

  charge(id: string): Charge | undefined {
    return this.charges.get(id);
  }

  recordRefund(charge: Charge, amount: number): Refund {
    charge.amount_refunded += amount;
    charge.refunded = charge.amount_refunded >= charge.amount;
    const refund: Refund = { id: newId("re"), object: "refund", charge: charge.id, amount, currency: charge.currency, status: "succeeded", created: Math.floor(Date.now() / 1000) };
    this.refunds.push(refund);
    return refund;
  }

  /** Every charge, captured or declined, whose metadata field has this value (the search API). */
  search(field: string, value: string): Charge[] {
    return structuredClone([...this.charges.values()].filter((charge) => charge.metadata[field] === value));
  }

  /** Captured charges (money really taken) and refunds, oldest first, narrowed by the filter. */
  list(filter: LedgerFilter = {}): { charges: Charge[]; refunds: Refund[] } {
    const matches = (charge: Charge) =>
      (filter.customer === undefined || charge.customer === filter.customer) &&
      (filter.paymentId === undefined || charge.metadata.paymentId === filter.paymentId) &&
      (filter.orderId === undefined || charge.metadata.orderId === filter.orderId);
    const charges = [...this.charges.values()].filter((c) => c.captured && matches(c));
    const ids = new Set(charges.map((c) => c.id));
    return { charges: structuredClone(charges), refunds: structuredClone(this.refunds.filter((r) => ids.has(r.charge))) };
  }

  clear(): void {
    this.charges.clear();
    this.refunds.length = 0;
  }
}
