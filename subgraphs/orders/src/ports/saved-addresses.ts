import type { OrderAddress } from "../domain/order.js";

/** The accounts subgraph's address book, as checkout reads it (one saved address by id). */
export interface SavedAddresses {
  /** The user's saved address with that id, or null when they have none. */
  savedAddress(userId: string, addressId: string): Promise<OrderAddress | null>;
}
