/**
 * How many image decodes and encodes one process runs at once. Decoding holds the whole
 * picture: a 40-megapixel AVIF of one kilobyte takes ~700 MB while it decodes, so four
 * attaches at once (libuv's four threads) held 2.8 GB in the process that also answers the
 * storefront. Past the slots, work waits its turn.
 */
export const IMAGE_WORK_SLOTS = 2;

let running = 0;
const waiting: (() => void)[] = [];

export async function withImageSlot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= IMAGE_WORK_SLOTS) await new Promise<void>((resolve) => waiting.push(resolve));
  else running++;
  try {
    return await work();
  } finally {
    // The slot passes straight to the next waiter, so a newcomer cannot take it in between.
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}
