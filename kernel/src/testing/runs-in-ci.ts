type Env = Record<string, string | undefined>;

const YES = new Set(["1", "true", "yes"]);
const NO = new Set(["", "0", "false", "no"]);

/**
 * Whether the tests run in CI, where a missing engine or browser fails the run instead of
 * skipping its suites (a green run that skipped them would prove nothing). One reading for
 * every suite that asks: `CI` is `true`, `1` or `yes` in any case, as CI services set it.
 * Any other value is refused, so a spelling the suites would read differently never turns
 * the check off for some of them.
 */
export function runsInCI(env: Env = process.env): boolean {
  const raw = env.CI?.trim().toLowerCase();
  if (raw === undefined || NO.has(raw)) return false;
  if (YES.has(raw)) return true;
  throw new Error(`CI must be true or false (1/0, yes/no), got ${JSON.stringify(env.CI)}`);
}
