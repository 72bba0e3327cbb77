/** What `nextWithin` answers when the wait ran out before a value came. */
export const TIMED_OUT = Symbol("timed out");

/** A push-to-pull queue: producers push values, one consumer awaits them in order. */
export function createAsyncQueue<T>() {
  const buffer: T[] = [];
  let waiter: ((value: T | undefined) => void) | undefined;
  let closed = false;
  const next = (): Promise<T | undefined> => {
    if (buffer.length) return Promise.resolve(buffer.shift());
    if (closed) return Promise.resolve(undefined);
    return new Promise((resolve) => (waiter = resolve));
  };
  return {
    push(value: T) {
      if (closed) return;
      if (waiter) {
        const resolve = waiter;
        waiter = undefined;
        resolve(value);
      } else buffer.push(value);
    },
    /** The next value, or undefined once closed and drained. */
    next,
    /**
     * The next value if one comes within `ms`, else TIMED_OUT. The waiter is withdrawn at the
     * deadline, so a value pushed later stays queued for the next call instead of being lost.
     */
    nextWithin(ms: number): Promise<T | undefined | typeof TIMED_OUT> {
      if (buffer.length || closed) return next();
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          waiter = undefined;
          resolve(TIMED_OUT);
        }, ms);
        waiter = (value) => {
          clearTimeout(timer);
          resolve(value);
        };
      });
    },
    close() {
      closed = true;
      waiter?.(undefined);
      waiter = undefined;
    },
  };
}
