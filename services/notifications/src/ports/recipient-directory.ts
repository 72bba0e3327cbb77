/** Where one customer can be reached; a channel without an address is skipped. */
export interface Recipient {
  userId: string;
  email?: string;
  phone?: string;
}

/**
 * Looks customers' contact details up by user id. Users have no stored emails yet (accounts
 * come later), so the embedded directory derives an address from the id.
 */
export interface RecipientDirectory {
  find(userId: string): Promise<Recipient>;
}
