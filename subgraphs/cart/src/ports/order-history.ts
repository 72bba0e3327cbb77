/** One line of a past order, as "buy again" needs it: the variant and its units, and what it was called when bought. */
export interface OrderedLine {
  variantId: string;
  productId: string;
  quantity: number;
  /** The product's name at checkout. */
  name: string;
  /** The variant's title at checkout ("Red / M"). */
  variantTitle: string;
}

/** One of the customer's past orders, as "buy again" needs it. */
export interface PastOrder {
  lines: OrderedLine[];
  /** The coupon the order was placed with, when the order gave its use back (payment failed, cancelled); else null. */
  couponGivenBack: string | null;
  /** The order's status (the orders subgraph's OrderStatus); null when the orders subgraph does not say (a release before it did). */
  status: string | null;
}

/** The orders subgraph's past orders, as the cart reads them. */
export interface OrderHistory {
  /**
   * One of the customer's orders, whatever its status; null when the customer has no order
   * with that id (another customer's order answers null too).
   */
  orderOf(customerId: string, orderId: string): Promise<PastOrder | null>;
}
