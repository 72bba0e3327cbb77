import { createHash } from "node:crypto";
import { DomainError, ErrorCode } from "#kernel";
import type { Order, OrderItem, OrderStatus, OrderStatusChange } from "./order.js";
import type { Refund, Return } from "./after-sale.js";

/**
 * Orders older than the archive age leave PostgreSQL for Parquet files in object storage, one
 * file per archive batch, each batch holding orders of one month. What may leave: an order in
 * a final state (PAYMENT_FAILED, CANCELLED, REFUNDED), or delivered (DELIVERED,
 * PARTIALLY_REFUNDED) with its return window closed; never one with a refund still being
 * paid, a return awaiting a decision or a payment in flight, nor a cancelled or failed order
 * whose captured payment has not been refunded in full (its late confirmation would find no
 * order to refund). Archived orders are read-only.
 */
export const ARCHIVABLE_STATUSES: readonly OrderStatus[] = ["PAYMENT_FAILED", "CANCELLED", "REFUNDED", "DELIVERED", "PARTIALLY_REFUNDED"];

/**
 * Object keys of archive files: a folder per database (the namespace: several databases may
 * share one bucket, and a job sweeps only its own unpublished files), then one per month, so
 * a month can be listed or restored alone.
 */
export const archivePrefix = (namespace: string) => `orders-archive/${namespace.replace(/[^A-Za-z0-9._-]/g, "_")}/`;
export const archiveObjectKey = (namespace: string, month: string, batchId: string) => `${archivePrefix(namespace)}${month}/${batchId}.parquet`;

/** "YYYY-MM" of a UTC instant. */
export const monthOf = (at: Date) => at.toISOString().slice(0, 7);

/** Orders placed before this instant are old enough to archive. */
export const archiveCutoff = (now: Date, afterDays: number) => new Date(now.getTime() - afterDays * 86_400_000);

/** One archived order as a file row: the columns readers filter on, and the whole order as JSON. */
export interface ArchiveRow {
  id: string;
  userId: string;
  createdAt: Date;
  /** The order with its lines, history, refunds, returns and payment, as PostgreSQL wrote it out. */
  document: string;
}

/**
 * The checksum of a file's rows: sha256 over "id\tdocument\n" in id order. Computed on the rows
 * read from PostgreSQL and again on the rows read back from the stored file; the batch is
 * published only when both agree.
 */
export function archiveChecksum(rows: readonly Pick<ArchiveRow, "id" | "document">[]): string {
  const hash = createHash("sha256");
  for (const row of [...rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) hash.update(`${row.id}\t${row.document}\n`);
  return hash.digest("hex");
}

/** What an archived order carries besides the order: the reads the store answers for live ones. */
export interface ArchivedDetails {
  items: OrderItem[];
  history: OrderStatusChange[];
  refunds: Refund[];
  returns: Return[];
}

/** An order read from the archive. */
export type ArchivedOrder = Order & { archived: ArchivedDetails };

export const isArchived = (order: Order): order is ArchivedOrder => "archived" in order && (order as ArchivedOrder).archived !== undefined;

/** Mutations of an archived order fail with this, whoever asks. */
export const orderArchived = (id: string) =>
  new DomainError(ErrorCode.OPERATION_NOT_ALLOWED, `Order ${id} is archived and read-only`, { id, reason: "ORDER_ARCHIVED" });

// PostgreSQL's to_jsonb writes timestamp(3) without a zone; they are UTC.
const instant = (value: string) => new Date(value.endsWith("Z") ? value : `${value}Z`);
const maybeInstant = (value: string | null | undefined) => (value ? instant(value) : null);

type Json = Record<string, unknown>;

/** The order as the archive document holds it (see the archive directory's SQL). */
export function fromArchiveDocument(document: string): ArchivedOrder {
  const doc = JSON.parse(document) as { order: Json; items: Json[]; history: Json[]; refunds: Json[]; returns: (Json & { items: Json[] | null })[] };
  const o = doc.order;
  const currency = o.currency as string;
  const money = (amount: unknown) => ({ amount: amount as number, currency });
  return {
    id: o.id as string,
    userId: o.userId as string,
    status: o.status as OrderStatus,
    statusReason: (o.statusReason as string | null) ?? null,
    total: money(o.totalAmount),
    subtotal: money(o.subtotalAmount),
    discountTotal: money(o.discountAmount),
    shippingTotal: money(o.shippingAmount),
    taxTotal: money(o.taxAmount),
    shippingAddress: (o.shippingAddress as Order["shippingAddress"]) ?? null,
    shippingMethod: (o.shippingMethod as Order["shippingMethod"]) ?? null,
    couponCode: (o.couponCode as string | null) ?? null,
    optionsHash: (o.optionsHash as string | null) ?? null,
    idempotencyKey: o.idempotencyKey as string,
    requestHash: o.requestHash as string,
    reservationId: o.reservationId as string,
    refundedAmount: o.refundedAmount as number,
    deliveredAt: maybeInstant(o.deliveredAt as string | null),
    createdAt: instant(o.createdAt as string),
    updatedAt: instant(o.updatedAt as string),
    archived: {
      items: doc.items.map((i) => ({
        orderId: o.id as string,
        variantId: i.variantId as string,
        productId: i.productId as string,
        name: i.name as string,
        sku: i.sku as string,
        variantTitle: i.variantTitle as string,
        options: (i.options as OrderItem["options"]) ?? [],
        unitPrice: money(i.unitAmount),
        quantity: i.quantity as number,
        discount: typeof i.discountAmount === "number" ? money(i.discountAmount) : null,
        tax: typeof i.taxAmount === "number" ? money(i.taxAmount) : null,
      })),
      history: doc.history.map((h) => ({ from: (h.from as OrderStatus | null) ?? null, to: h.to as OrderStatus, reason: (h.reason as string | null) ?? null, at: instant(h.at as string) })),
      refunds: doc.refunds.map((r) => ({
        id: r.id as string,
        orderId: o.id as string,
        amount: { amount: r.amount as number, currency: r.currency as string },
        reason: r.reason as string,
        status: r.status as Refund["status"],
        idempotencyKey: r.idempotencyKey as string,
        requestHash: r.requestHash as string,
        returnId: (r.returnId as string | null) ?? null,
        providerRef: (r.providerRef as string | null) ?? null,
        createdAt: instant(r.createdAt as string),
        refundedAt: maybeInstant(r.refundedAt as string | null),
      })),
      returns: doc.returns.map((r) => ({
        id: r.id as string,
        orderId: o.id as string,
        userId: r.userId as string,
        status: r.status as Return["status"],
        reason: r.reason as string,
        decisionReason: (r.decisionReason as string | null) ?? null,
        items: (r.items ?? []).map((i) => ({ variantId: i.variantId as string, quantity: i.quantity as number, unitPrice: money(i.unitAmount) })),
        createdAt: instant(r.createdAt as string),
        decidedAt: maybeInstant(r.decidedAt as string | null),
        idempotencyKey: (r.idempotencyKey as string | null | undefined) ?? null,
        requestHash: (r.requestHash as string | null | undefined) ?? null,
      })),
    },
  };
}
