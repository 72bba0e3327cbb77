/**
 * Turns a handler of many items at once into a handler of one item, by gathering the calls
 * that arrive together: every call made before the next turn of the event loop (or until
 * `maxBatch` are waiting) is handed to `applyBatch` in one go, and each call settles with that
 * batch, so a caller that acknowledges an event after its call still acknowledges only what
 * was applied. A failed batch rejects every call in it; the event bus then redelivers each.
 *
 * Worth it where one write serves many items (a listing written once for a hundred products
 * instead of a hundred times), with the bus's per-key concurrency supplying the items.
 */
export function coalescingHandler<T>(applyBatch: (items: T[]) => Promise<void>, options: { maxBatch?: number } = {}): (item: T) => Promise<void> {
  const maxBatch = options.maxBatch ?? 256;
  let waiting: { item: T; settle: (error?: unknown) => void }[] = [];
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    const batch = waiting;
    waiting = [];
    if (batch.length === 0) return;
    applyBatch(batch.map((call) => call.item)).then(
      () => batch.forEach((call) => call.settle()),
      (error: unknown) => batch.forEach((call) => call.settle(error ?? new Error("batch failed"))),
    );
  };

  return (item) =>
    new Promise<void>((resolve, reject) => {
      waiting.push({ item, settle: (error) => (error === undefined ? resolve() : reject(error)) });
      if (waiting.length >= maxBatch) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
}
