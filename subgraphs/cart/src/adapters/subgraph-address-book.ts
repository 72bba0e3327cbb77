import type { SubgraphClient } from "#kernel";
import type { AddressBook } from "../ports/address-book.js";
import type { PostalAddress } from "../pricing/pricing-types.js";

const SAVED_ADDRESS = `query SavedAddress($userId: ID!, $id: ID!) {
  savedAddress(userId: $userId, id: $id) { recipientName line1 line2 city region postalCode country phone }
}`;

/** Saved addresses from the accounts subgraph's internal `savedAddress` query (service role). */
export function createSubgraphAddressBook(client: SubgraphClient): AddressBook {
  return {
    async savedAddress(userId, addressId) {
      const data = await client.request<{ savedAddress: PostalAddress | null }>(SAVED_ADDRESS, { userId, id: addressId });
      return data.savedAddress;
    },
  };
}
