import type { PostalAddress } from "../pricing/pricing-types.js";

/** The accounts subgraph's saved addresses, as pricing and checkout read them. */
export interface AddressBook {
  /** The user's saved address, or null when the user has no address with that id. */
  savedAddress(userId: string, addressId: string): Promise<PostalAddress | null>;
}
