import DataLoader from "dataloader";
import type { RequestContext } from "#kernel";
import type { Order, OrderItem, OrderStatusChange } from "./domain/order.js";
import type { Refund, Return } from "./domain/after-sale.js";
import type { AfterSaleService } from "./domain/after-sale.service.js";
import type { OrderService } from "./domain/order.service.js";
import type { CheckoutService } from "./domain/checkout.service.js";
import type { OrderStore } from "./ports/order-store.js";

export interface OrdersContext extends RequestContext {
  orders: OrderService;
  checkout: CheckoutService;
  afterSale: AfterSaleService;
  /** Batched per request: a page of N orders reads its lines and histories in one query each. */
  orderById: DataLoader<string, Order | null>;
  itemsByOrderId: DataLoader<string, OrderItem[]>;
  historyByOrderId: DataLoader<string, OrderStatusChange[]>;
  refundsByOrderId: DataLoader<string, Refund[]>;
  returnsByOrderId: DataLoader<string, Return[]>;
}

export function createOrdersContext(base: RequestContext, deps: { orders: OrderService; checkout: CheckoutService; afterSale: AfterSaleService; store: OrderStore }): OrdersContext {
  const { store } = deps;
  return {
    ...base,
    orders: deps.orders,
    checkout: deps.checkout,
    afterSale: deps.afterSale,
    orderById: new DataLoader(async (ids) => Promise.all(ids.map((id) => deps.orders.order(base, id)))),
    itemsByOrderId: new DataLoader(async (ids) => {
      const found = await store.itemsOf(ids);
      return ids.map((id) => found.get(id) ?? []);
    }),
    historyByOrderId: new DataLoader(async (ids) => {
      const found = await store.historyOf(ids);
      return ids.map((id) => found.get(id) ?? []);
    }),
    refundsByOrderId: new DataLoader(async (ids) => {
      const found = await store.refundsOf(ids);
      return ids.map((id) => found.get(id) ?? []);
    }),
    returnsByOrderId: new DataLoader(async (ids) => {
      const found = await store.returnsOf(ids);
      return ids.map((id) => found.get(id) ?? []);
    }),
  };
}
