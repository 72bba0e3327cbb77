/**
 * The cart subgraph as logIn/signUp see it: a request that carried a guest cart token has
 * that cart merged into the customer's (the cart's rules: quantities add up within the per-line
 * limit and stock, moved prices shown again, the guest cart deleted in the same transaction, so
 * a repeated or concurrent merge of one token adds nothing).
 */
export interface GuestCartMerge {
  merge(request: { customerId: string; guestCartId: string; requestId: string }): Promise<{ mergedUnits: number; droppedUnits: number }>;
  close(): Promise<void>;
}
