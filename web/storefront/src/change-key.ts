import { useRef } from "preact/hooks";

/**
 * Idempotency keys for the cart changes a page sends (add, set a quantity, remove): one key
 * per change the shopper asks for, kept until that change is answered as made. So a click
 * sent again after no answer (a flaky network, the gateway restarting) carries the key of
 * the first, and the server makes the change once: the units are not added twice, a line
 * another tab put back is not removed. A refusal keeps the key too: nothing was written under
 * it, and the same request sent again is judged again. Once answered, the next click is a new
 * change with a new key (adding the same item again adds it again, as asked).
 */
export function useChangeKeys() {
  const pending = useRef(new Map<string, string>());
  return {
    /** The key of this request: the one it was sent with before, until it was answered as made. */
    keyFor(request: object): string {
      const named = JSON.stringify(request);
      let key = pending.current.get(named);
      if (key === undefined) {
        key = crypto.randomUUID();
        pending.current.set(named, key);
      }
      return key;
    },
    /** The change was made: the next click asking for it again is a new change. */
    made(request: object): void {
      pending.current.delete(JSON.stringify(request));
    },
  };
}
