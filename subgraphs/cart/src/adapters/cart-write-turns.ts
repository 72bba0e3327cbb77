/**
 * Runs one cart's writes one at a time in this process, in the order they came, each after the
 * one before it has ended however it ended; other carts' writes run beside them.
 *
 * Why: each write locks its cart's row for its transaction, and a transaction holds a pooled
 * connection while it waits for that lock. Twenty writes of one cart sent at once (a script, a
 * burst of clicks) took every connection of the pool to wait on one another, and every other
 * customer's cart waited behind them: 64 writes over four carts held another customer's cart
 * reads and writes 270-940 ms each, and past Prisma's 2 s wait for a transaction failed them.
 * Waiting here, a cart's writes hold one connection at most per process; the row lock still
 * orders them against other processes.
 */
export function createCartWriteTurns() {
  /** Each cart's last write, settled either way: the next one starts when it has. */
  const lastWrite = new Map<string, Promise<void>>();
  return function inTurn<T>(owner: string, write: () => Promise<T>): Promise<T> {
    const turn = (lastWrite.get(owner) ?? Promise.resolve()).then(write);
    const ended = turn.then(
      () => undefined,
      () => undefined,
    );
    lastWrite.set(owner, ended);
    // Forgotten once nothing waits behind it, so carts written once hold no memory.
    void ended.then(() => {
      if (lastWrite.get(owner) === ended) lastWrite.delete(owner);
    });
    return turn;
  };
}
