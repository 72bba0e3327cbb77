/** Where one customer can be reached; a channel without an address is skipped. */
export interface Recipient {
  userId: string;
  email?: string;
  phone?: string;
}

/**
 * Customers' contact details, from the accounts that hold them, many users at once. A user
 * missing from the answer has no account (any more): their messages are skipped, not retried.
 * A lookup that fails (accounts unreachable) rejects, and the message is retried.
 */
export interface RecipientDirectory {
  readonly engine: string;
  findMany(userIds: readonly string[]): Promise<Map<string, Recipient>>;
  close?(): Promise<void>;
}
