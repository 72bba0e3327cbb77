/**
 * Whose attempts are counted: the account (email key), when known the client address (a
 * network), and for a client that proved it signed in to this account before (a verified
 * device proof) its device id.
 */
export interface LoginAttempt {
  account: string;
  address?: string;
  device?: string;
}

export interface ThrottleDecision {
  allowed: boolean;
  /** When refused: seconds until an attempt is allowed again. */
  retryAfterSeconds: number;
}

/**
 * Counts failed log-ins in a store every instance shares, so the limits hold however many
 * accounts processes run: per account from one client address (a low threshold, when
 * configured), per account over every address (a ceiling) and per address over accounts.
 * Counting the email key whether or not an account exists keeps the throttle from revealing
 * which emails exist.
 *
 * Why per account and address: counted per account alone, anyone's five wrong passwords
 * locked the owner out, renewable forever; counted per pair, the guesser's network is locked
 * out of the account and the owner's is not, while the ceiling still stops a guess spread over
 * many networks (OWASP's authentication cheat sheet: lock the pair, cap the account higher).
 *
 * Why per device: the ceiling alone let anyone who knows a customer's email keep the customer
 * locked out from a botnet. A known device (an attempt with `device`, when the throttle counts
 * devices) is judged by its own budget only, so failures from elsewhere never refuse it; its
 * own failures still count on the account's ceiling, against unknown clients (OWASP's device
 * cookies). Without `device` an attempt is judged as before.
 */
export interface LoginThrottle {
  readonly engine: string;
  /** Refused once any counter has used up its budget within the window. */
  check(attempt: LoginAttempt): Promise<ThrottleDecision>;
  recordFailure(attempt: LoginAttempt): Promise<void>;
  /**
   * A successful log-in forgives the account's failures from its address (all of the
   * account's, without a per-address threshold), or from a known device that device's;
   * never the address's failures, and never the account's ceiling, which a guess spread over
   * other networks may still be filling.
   */
  recordSuccess(attempt: LoginAttempt): Promise<void>;
  /** A password reset forgives the account's failures everywhere and from the resetting address: what was guessed at is no longer the password. */
  forgiveAccount(attempt: LoginAttempt): Promise<void>;
  /**
   * Counts one attempt and decides in the same step, so concurrent requests cannot all pass a
   * check before any is counted: for requests that cost something whether or not they succeed
   * (mailing a link). The account's ceiling counts only attempts the client's own counters
   * allowed, so a client refused for the account cannot go on spending it for everyone.
   */
  consume(attempt: LoginAttempt): Promise<ThrottleDecision>;
}
