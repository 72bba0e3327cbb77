/** Whose attempts are counted: the account (email key) and, when known, the client address. */
export interface LoginAttempt {
  account: string;
  address?: string;
}

export interface ThrottleDecision {
  allowed: boolean;
  /** When refused: seconds until an attempt is allowed again. */
  retryAfterSeconds: number;
}

/**
 * Counts failed log-ins per account and per client address, in a store every instance
 * shares, so the limit holds however many accounts processes run. Counting the email key
 * whether or not an account exists keeps the throttle from revealing which emails exist.
 */
export interface LoginThrottle {
  readonly engine: string;
  /** Refused once either counter has used up its budget within the window. */
  check(attempt: LoginAttempt): Promise<ThrottleDecision>;
  recordFailure(attempt: LoginAttempt): Promise<void>;
  /** A successful log-in forgives the account's failures (not the address's). */
  recordSuccess(attempt: LoginAttempt): Promise<void>;
  /**
   * Counts one attempt on both counters and decides in the same step, so concurrent requests
   * cannot all pass a check before any is counted: for requests that cost something whether
   * or not they succeed (mailing a link).
   */
  consume(attempt: LoginAttempt): Promise<ThrottleDecision>;
}
