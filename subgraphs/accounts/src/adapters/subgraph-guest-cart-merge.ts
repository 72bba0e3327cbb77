import { createSubgraphClient, type SubgraphClient } from "#kernel";
import type { GuestCartMerge } from "../ports/guest-cart-merge.js";

const MERGE = `mutation($guestCartId: ID!, $customerId: ID!) { mergeGuestCart(guestCartId: $guestCartId, customerId: $customerId) { mergedUnits droppedUnits } }`;

/**
 * Calls the cart subgraph's internal `mergeGuestCart` as the accounts service. The cart's URL
 * is asked for at the first merge: in the one-process mode the cart starts after accounts.
 */
export function createSubgraphGuestCartMerge(options: { cartUrl: () => string; internalSecret: string }): GuestCartMerge {
  let client: SubgraphClient | undefined;
  const cart = () => (client ??= createSubgraphClient({ url: options.cartUrl(), audience: "cart", internalSecret: options.internalSecret, serviceName: "accounts", connections: 4 }));
  return {
    async merge({ customerId, guestCartId, requestId }) {
      const data = await cart().request<{ mergeGuestCart: { mergedUnits: number; droppedUnits: number } }>(MERGE, { guestCartId, customerId }, { requestId });
      return data.mergeGuestCart;
    },
    close: async () => client?.close(),
  };
}
