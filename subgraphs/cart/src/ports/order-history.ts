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

/** The orders subgraph's past orders, as the cart reads them. */
export interface OrderHistory {
  /**
   * The lines of one of the customer's orders, whatever its status; null when the customer has
   * no order with that id (another customer's order answers null too).
   */
  linesOf(customerId: string, orderId: string): Promise<OrderedLine[] | null>;
}
