/** A push-to-pull queue: producers push values, one consumer awaits them in order. */
export function createAsyncQueue<T>() {
  const buffer: T[] = [];
  let waiter: ((value: T | undefined) => void) | undefined;
  let closed = false;
  return {
    push(value: T) {
      if (closed) return;
      if (waiter) {
        const resolve = waiter;
        waiter = undefined;
        resolve(value);
      } else buffer.push(value);
    },
    next(): Promise<T | undefined> {
      if (buffer.length) return Promise.resolve(buffer.shift());
      if (closed) return Promise.resolve(undefined);
      return new Promise((resolve) => (waiter = resolve));
    },
    close() {
      closed = true;
      waiter?.(undefined);
      waiter = undefined;
    },
  };
}
