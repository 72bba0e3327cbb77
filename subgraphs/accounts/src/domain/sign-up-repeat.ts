import type { User } from "./user.js";

/**
 * How long after an account is made a sign-up with its email is taken for that sign-up sent
 * again (a double click, a retry after a lost answer) rather than for someone else's: its owner
 * is signed in by a repeat with the same password, and is mailed no notice of a taken email.
 */
export const SIGN_UP_REPEAT_WINDOW_MS = 10 * 60_000;

/** Whether `user` was made so recently that a sign-up with its email may be its own sent again. */
export function madeWithinSignUpRepeat(user: User, now: Date): boolean {
  return now.getTime() - user.createdAt.getTime() < SIGN_UP_REPEAT_WINDOW_MS;
}
