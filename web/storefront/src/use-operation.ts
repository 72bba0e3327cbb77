import { useCallback, useEffect, useState } from "preact/hooks";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { StorefrontError } from "../../../clients/typescript/src/index.js";
import { client } from "./storefront-client.js";

export type Loaded<T> = { state: "loading" } | { state: "error"; error: StorefrontError } | { state: "done"; data: T };

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
      (error: unknown) => current && setLoaded({ state: "error", error: asStorefrontError(error) }),
    );
    return () => {
      current = false;
    };
  }, [document, key, round]);
  return [loaded, useCallback(() => setRound((r) => r + 1), [])];
}

/** Wraps a mutation for a form: `run` resolves with the data, or undefined after showing the error. */
export function useMutation<TResult, TVariables>(document: TypedDocumentNode<TResult, TVariables>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<StorefrontError | undefined>();
  const run = useCallback(
    async (variables: TVariables): Promise<TResult | undefined> => {
      setBusy(true);
      setError(undefined);
      try {
        return await (client.request as (d: typeof document, v: TVariables) => Promise<TResult>)(document, variables);
      } catch (thrown) {
        setError(asStorefrontError(thrown));
        return undefined;
      } finally {
        setBusy(false);
      }
    },
    [document],
  );
  return { run, busy, error };
}
