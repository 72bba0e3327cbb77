import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { StorefrontError } from "../../../clients/typescript/src/index.js";
import { client } from "./storefront-client.js";

/** A query's state; a failed one carries `retry`, which runs it again (a page offers it as "Try again"). */
export type Loaded<T> = { state: "loading" } | { state: "error"; error: StorefrontError; retry?: () => void } | { state: "done"; data: T };

const asStorefrontError = (error: unknown) =>
  error instanceof StorefrontError ? error : new StorefrontError("INTERNAL_SERVER_ERROR", "Something went wrong; please try again");

/** Runs a query whenever its variables change; `reload` runs it again. */
export function useQuery<TResult, TVariables>(document: TypedDocumentNode<TResult, TVariables>, variables: TVariables): [Loaded<TResult>, () => void] {
  const [loaded, setLoaded] = useState<Loaded<TResult>>({ state: "loading" });
  const [round, setRound] = useState(0);
  const key = JSON.stringify(variables);
  useEffect(() => {
    let current = true;
    setLoaded((previous) => (previous.state === "done" ? previous : { state: "loading" }));
    (client.request as (d: typeof document, v: TVariables) => Promise<TResult>)(document, variables).then(
      (data) => current && setLoaded({ state: "done", data }),
      (error: unknown) => current && setLoaded({ state: "error", error: asStorefrontError(error), retry: () => setRound((r) => r + 1) }),
    );
    return () => {
      current = false;
    };
  }, [document, key, round]);
  return [loaded, useCallback(() => setRound((r) => r + 1), [])];
}

/**
 * Wraps a mutation for a form: `run` resolves with the data, or undefined after showing the
 * error. While a call is in flight, `run` with the same variables returns that call instead of
 * sending another: a double click, or Enter held down, sends one mutation (the button's
 * disabled state comes one render later, too late for a second click in the same frame).
 */
export function useMutation<TResult, TVariables>(document: TypedDocumentNode<TResult, TVariables>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<StorefrontError | undefined>();
  const inFlight = useRef(new Map<string, Promise<TResult | undefined>>());
  const run = useCallback(
    (variables: TVariables): Promise<TResult | undefined> => {
      const key = JSON.stringify(variables ?? {});
      const running = inFlight.current.get(key);
      if (running) return running;
      setBusy(true);
      setError(undefined);
      const call = (client.request as (d: typeof document, v: TVariables) => Promise<TResult>)(document, variables)
        .catch((thrown: unknown) => {
          setError(asStorefrontError(thrown));
          return undefined;
        })
        .finally(() => {
          inFlight.current.delete(key);
          setBusy(inFlight.current.size > 0);
        });
      inFlight.current.set(key, call);
      return call;
    },
    [document],
  );
  return { run, busy, error };
}
