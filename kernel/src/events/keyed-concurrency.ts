/**
 * Handles a run of events the way partitions would if there were one per key: events of
 * different keys at once (at most `maxKeysInFlight` keys), each key's events one after the
 * other in the order given. Per-key order is all the event bus promises, so this keeps every
 * guarantee while a slow handler (a payment provider call) no longer holds up the events of
 * other keys behind it.
 *
 * `handleInOrder` owns retries; if it throws, no further keys are started and the error is
 * raised once the keys already running have finished their current event.
 */
export async function handleByKey<T extends { key: string }>(
  events: readonly T[],
  handleInOrder: (event: T) => Promise<void>,
  maxKeysInFlight: number,
): Promise<void> {
  const chains = new Map<string, T[]>();
  for (const event of events) {
    const chain = chains.get(event.key);
    if (chain) chain.push(event);
    else chains.set(event.key, [event]);
  }
  const pending = [...chains.values()];
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    for (let chain = pending.shift(); chain && !failure; chain = pending.shift()) {
      for (const event of chain) {
        if (failure) return;
        try {
          await handleInOrder(event);
        } catch (error) {
          failure ??= { error };
          return;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(maxKeysInFlight, pending.length)) }, worker));
  if (failure) throw failure.error;
}
