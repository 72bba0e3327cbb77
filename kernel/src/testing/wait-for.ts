export interface WaitForOptions {
  /** How long the condition may take before the wait fails. */
  timeoutMs?: number;
  /** Pause between two checks. */
  intervalMs?: number;
}

/**
 * Resolves as soon as `condition` holds; rejects once `timeoutMs` has passed without it.
 * Tests wait for an outcome this way instead of sleeping a fixed time and hoping, so they
 * are as fast as the engine allows and fail with a message rather than hang.
 */
export async function waitFor(
  description: string,
  condition: () => boolean | Promise<boolean>,
  { timeoutMs = 10_000, intervalMs = 10 }: WaitForOptions = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await condition()) return;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError === undefined ? "" : ` (last check threw: ${String(lastError)})`;
      throw new Error(`Timed out after ${timeoutMs} ms waiting until ${description}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
