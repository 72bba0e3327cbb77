import { multiplyMoney } from "#kernel";
import { isArchived } from "../domain/order-archive.js";
import type { OrderItemResolvers, OrderResolvers, OrderStatusChangeResolvers } from "../generated/resolvers-types.js";

export const Order: OrderResolvers = {
  // Other subgraphs' references obey the same rule as order(id): owner or admin, else null.
  __resolveReference: (ref, ctx) => ctx.orderById.load(ref.id),
  // An archived order carries its lines, history, refunds and returns from its file.
  items: (order, _args, ctx) => (isArchived(order) ? order.archived.items : ctx.itemsByOrderId.load(order.id)),
  statusHistory: (order, _args, ctx) => (isArchived(order) ? order.archived.history : ctx.historyByOrderId.load(order.id)),
  lines: (order, _args, ctx) => (isArchived(order) ? order.archived.items : ctx.itemsByOrderId.load(order.id)),
  archived: (order) => isArchived(order),
  createdAt: (order) => order.createdAt.toISOString(),
  updatedAt: (order) => order.updatedAt.toISOString(),
  refundedTotal: (order) => ({ amount: order.refundedAmount, currency: order.total.currency }),
  refunds: (order, _args, ctx) => (isArchived(order) ? order.archived.refunds : ctx.refundsByOrderId.load(order.id)),
  returns: (order, _args, ctx) => (isArchived(order) ? order.archived.returns : ctx.returnsByOrderId.load(order.id)),
};

export const OrderItem: OrderItemResolvers = {
  product: (item) => ({ __typename: "Product", id: item.productId }),
  variant: (item) => ({ __typename: "ProductVariant", id: item.variantId }),
  lineTotal: (item) => multiplyMoney(item.unitPrice, item.quantity),
};

export const OrderStatusChange: OrderStatusChangeResolvers = {
  at: (change) => change.at.toISOString(),
};
