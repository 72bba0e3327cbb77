import type { ExecutionResult } from "graphql";

/**
 * One operation's result as a stream graphql-ws can stop. graphql-ws stops streams only: a
 * client's `complete` for a query still running was noted and nothing more, its subgraph calls
 * going on to their end for nobody. As a one-result stream, the `complete` (and the socket's
 * close) reaches `return`, which aborts `controller`, the signal the operation's subgraph calls
 * carry; the result, if it still comes, is not sent to a client that said it no longer wants it.
 * A mutation is seen through all the same: the data source never gives it the signal.
 */
export function stoppableResult(work: () => Promise<ExecutionResult>, controller: AbortController): AsyncGenerator<ExecutionResult> {
  const finished: IteratorReturnResult<undefined> = { done: true, value: undefined };
  const stopped = new Promise<IteratorResult<ExecutionResult>>((resolve) => controller.signal.addEventListener("abort", () => resolve(finished), { once: true }));
  let started = false;
  return {
    async next() {
      if (started || controller.signal.aborted) return finished;
      started = true;
      return Promise.race([work().then((value) => ({ done: false as const, value })), stopped]);
    },
    async return() {
      controller.abort();
      return finished;
    },
    async throw(error) {
      controller.abort();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
