import { createLogger, isDefaultVariantId, productIdOfVariant, StockReturnEventTypes, type AdmissionGate, type DatabaseBounds, type Money, type StockReturnRequestedPayload } from "#kernel";
import { createPrismaClient } from "#kernel/relational";
import { createTestDatabase, type DatabaseEngine } from "../../../../test/support/test-database.js";
import { createCheckoutCart } from "../../../cart/src/checkout-cart.js";
import { createPrismaCartStore } from "../../../cart/src/adapters/prisma-cart.store.js";
import type { CatalogVariant } from "../../../cart/src/domain/cart.js";
import { createPrismaOrderStore } from "../../src/adapters/prisma-order.store.js";
import { withOrderOfKey } from "../../src/adapters/cart-with-order-of-key.js";
import { createCheckoutService } from "../../src/domain/checkout.service.js";
import type { HoldFollowUps } from "../../src/domain/hold-follow-ups.js";
import type { SoldOutMemo } from "../../src/domain/sold-out-memo.js";
import { createOrderService } from "../../src/domain/order.service.js";
import { createAfterSaleService } from "../../src/domain/after-sale.service.js";
import { createPaymentOutcomeHandler } from "../../src/domain/payment-outcome.handler.js";
import { createInMemoryStockReservations } from "./in-memory-stock-reservations.js";
import { checkoutRequest, seedTestShipping } from "./checkout-defaults.js";
import type { CheckoutRequest } from "../../src/domain/checkout-request.js";
import type { OrderAddress } from "../../src/domain/order.js";

/**
 * The orders service on a real, freshly migrated PostgreSQL with the real cart and order
 * stores; only the other subgraphs (catalog prices, stock reservations) are in memory.
 */
export async function startCheckoutHarness(engine: DatabaseEngine, stock: Record<string, number> = { p1: 100, p2: 100, p3: 100 }, options: {
    soldOut?: SoldOutMemo;
    admission?: AdmissionGate;
    /** Awaited before a checkout's hold is taken (to order one checkout after another). */
    beforeReserve?: (orderId: string) => Promise<void>;
    /** Awaited before a checkout's order is placed. */
    beforePlace?: (orderId: string) => Promise<void>;
    /** The pg pool's size and bounds (10 and DATABASE_BOUNDS unless told). */
    pool?: { size: number; bounds: DatabaseBounds };
    /** Server settings of every session the service opens (e.g. an operator's `lock_timeout`). */
    sessionSettings?: Record<string, string>;
    /** Second looks at holds left to a twin (none unless told). */
    holdFollowUps?: HoldFollowUps;
  } = {},
) {
  const database = await createTestDatabase(engine);
  const prisma = createPrismaClient(withSessionSettings(database.url, options.sessionSettings), { poolSize: options.pool?.size ?? 10, ...(options.pool && { bounds: options.pool.bounds }) });
  const logger = createLogger("silent");
  // Stock keys are variant ids: "p1" is a product's default variant, "p4:red" a variant of p4.
  const prices = new Map<string, CatalogVariant>(
    Object.keys(stock).map((id) => {
      const productId = productIdOfVariant(id);
      const name = `Product ${productId}`;
      const options = isDefaultVariantId(id) ? [] : [{ name: "Colour", value: id.slice(productId.length + 1) }];
      return [id, { id, productId, name, title: options[0]?.value ?? name, sku: `SKU-${id}`, options, price: { amount: 1000, currency: "USD" }, category: "general" }];
    }),
  );
  const catalogCalls = { count: 0 };
  const catalog = {
    async findVariants(ids: readonly string[]) {
      catalogCalls.count += 1;
      return new Map(ids.filter((id) => prices.has(id)).map((id) => [id, structuredClone(prices.get(id)!)]));
    },
    async variantIdsOf(productIds: readonly string[]) {
      const all = [...prices.keys()];
      return new Map(productIds.map((p) => [p, all.filter((id) => productIdOfVariant(id) === p)] as const).filter(([, ids]) => ids.length > 0));
    },
  };
  const reservations = createInMemoryStockReservations(stock);
  const cartStore = createPrismaCartStore(prisma);
  // As the subgraph wires it: the cart and a key's order readable in one round trip.
  const cart = withOrderOfKey(createCheckoutCart({ prisma, catalog }));
  let commits = 0;
  const committedStore = createPrismaOrderStore({ prisma, onCommit: () => void (commits += 1) });
  // What the inventory does with the StockReturnRequested events an order change writes: put the
  // units back once per id. Applied as soon as the change has committed, never before.
  const appliedReturns = new Set<string>();
  const deliverStockReturns = async () => {
    const rows = await prisma.outboxEvent.findMany({ where: { type: StockReturnEventTypes.requested } });
    for (const row of rows) {
      if (appliedReturns.has(row.id)) continue;
      appliedReturns.add(row.id);
      const { returnId, items } = row.payload as unknown as StockReturnRequestedPayload;
      await reservations.returns.putBack(returnId, items);
    }
  };
  const store: typeof committedStore = {
    ...committedStore,
    async update(...args) {
      const updated = await committedStore.update(...args);
      await deliverStockReturns();
      return updated;
    },
  };
  await seedTestShipping(prisma);
  const savedAddresses = new Map<string, OrderAddress>();
  const addresses = { savedAddress: async (userId: string, id: string) => savedAddresses.get(`${userId}/${id}`) ?? null };
  const { beforeReserve, beforePlace } = options;
  const heldReservations = beforeReserve ? { ...reservations.port, reserve: async (...args: Parameters<typeof reservations.port.reserve>) => (await beforeReserve(args[0]), reservations.port.reserve(...args)) } : reservations.port;
  const heldStore = beforePlace ? { ...store, place: async (...args: Parameters<typeof store.place>) => (await beforePlace(args[0].order.id), store.place(...args)) } : store;
  const service = createCheckoutService({ store: heldStore, cart, reservations: heldReservations, addresses, logger, soldOut: options.soldOut, admission: options.admission, holdFollowUps: options.holdFollowUps });
  // A key alone checks out to the test address with free shipping (checkout-defaults.ts).
  const checkout = {
    checkout: (userId: string, request: string | CheckoutRequest, log?: typeof logger) => service.checkout(userId, typeof request === "string" ? checkoutRequest(request) : request, log),
  };
  const orders = createOrderService({ store, reservations: reservations.port });
  let now: Date | undefined;
  const afterSale = createAfterSaleService({ store, returnWindowDays: 30, clock: () => now ?? new Date() });
  const handlePaymentOutcome = createPaymentOutcomeHandler({ store, reservations: reservations.port, logger });

  return {
    logger,
    prisma,
    databaseUrl: database.url,
    store,
    checkout,
    orders,
    afterSale,
    /** Moves the after-sale clock (the return window); undefined: the real time. */
    setNow: (at: Date | undefined) => void (now = at),
    handlePaymentOutcome,
    reservations,
    cartStore,
    catalogCalls,
    /** Saves an address in the stand-in address book (the accounts subgraph's). */
    saveAddress: (userId: string, id: string, address: OrderAddress) => void savedAddresses.set(`${userId}/${id}`, address),
    /** Removes a saved address from the stand-in address book. */
    removeAddress: (userId: string, id: string) => void savedAddresses.delete(`${userId}/${id}`),
    commits: () => commits,
    /** Puts a line in the cart at the catalog's current price, as addToCart does. */
    async addToCart(userId: string, variantId: string, quantity: number): Promise<void> {
      const price = prices.get(variantId)!.price;
      await cartStore.changeLine(userId, variantId, (current) => ({
        variantId,
        productId: productIdOfVariant(variantId),
        quantity: (current?.quantity ?? 0) + quantity,
        accepted: price,
        addedAt: current?.addedAt ?? new Date(),
      }));
    },
    setPrice(variantId: string, price: Money): void {
      prices.get(variantId)!.price = price;
    },
    /** Files the variant under a catalog category (tax rates may be per category). */
    setCategory(variantId: string, category: string): void {
      prices.get(variantId)!.category = category;
    },
    /** Deletes the variant from the catalog; returns a function that puts it back. */
    removeFromCatalog(variantId: string): () => void {
      const variant = prices.get(variantId)!;
      prices.delete(variantId);
      return () => void prices.set(variantId, variant);
    },
    cartOf: (userId: string) => cartStore.find(userId),
    outbox: (type?: string) => prisma.outboxEvent.findMany({ where: type ? { type } : {}, orderBy: { occurredAt: "asc" } }),
    async close(): Promise<void> {
      await prisma.$disconnect();
      await database.drop();
    },
  };
}

export type CheckoutHarness = Awaited<ReturnType<typeof startCheckoutHarness>>;

/** `url` whose sessions start with `settings` (libpq's `options=-c name=value`). */
function withSessionSettings(url: string, settings: Record<string, string> = {}): string {
  const entries = Object.entries(settings);
  if (entries.length === 0) return url;
  const parsed = new URL(url);
  parsed.searchParams.set("options", entries.map(([name, value]) => `-c ${name}=${value}`).join(" "));
  return parsed.toString();
}
