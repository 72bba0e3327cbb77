import { multiplyMoney, sumMoney } from "#kernel";
import { cartCurrency, priceChanged, shownCartAmount } from "../domain/cart.js";
import type { CartItemResolvers, CartResolvers } from "../generated/resolvers-types.js";

export const Cart: CartResolvers = {
  id: (cart) => cart.userId,
  items: (cart) => cart.lines,
  subtotal: (cart) => shownCartAmount(sumMoney(cart.lines.map((line) => multiplyMoney(line.current, line.quantity)), cartCurrency(cart)), "subtotal"),
  totalQuantity: (cart) => cart.lines.reduce((units, line) => units + line.quantity, 0),
  hasPriceChanges: (cart) => cart.lines.some(priceChanged),
  updatedAt: (cart) => cart.updatedAt?.toISOString() ?? null,
};

export const CartItem: CartItemResolvers = {
  product: (line) => ({ __typename: "Product", id: line.productId }),
  variant: (line) => ({ __typename: "ProductVariant", id: line.variantId }),
  unitPrice: (line) => line.current,
  lineTotal: (line) => shownCartAmount(multiplyMoney(line.current, line.quantity), "lineTotal"),
  acceptedUnitPrice: (line) => (priceChanged(line) ? line.accepted : null),
};
