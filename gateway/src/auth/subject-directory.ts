/**
 * Answers whether an access token's subject is a user with an account. A valid signature
 * proves who issued a token, not that its user exists: a token minted for a made-up id
 * (a development tool holding the production key, a test harness) would otherwise open a
 * cart and check out as nobody.
 */
export interface SubjectDirectory {
  /** True when the account exists; throws when the directory cannot answer (never guesses). */
  hasAccount(userId: string): Promise<boolean>;
}
