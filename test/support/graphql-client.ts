import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";

export interface GraphQLResponse<TData = Record<string, any>> {
  status: number;
  headers: Headers;
  data?: TData;
  errors?: { message: string; path?: (string | number)[]; locations?: { line: number; column: number }[]; extensions?: Record<string, any> }[];
}

/** POSTs one operation over real HTTP, as a client app would. */
export async function postGraphQL<TData = Record<string, any>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  options: { token?: string; headers?: Record<string, string> } = {},
): Promise<GraphQLResponse<TData>> {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: TData; errors?: GraphQLResponse["errors"] };
  return { status: response.status, headers: response.headers, ...body };
}

/** A graphql-ws client over a real WebSocket, authenticated like the explorer does it. */
export function wsClient(httpUrl: string, token?: string): Client {
  return createClient({
    url: httpUrl.replace(/^http/, "ws"),
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: true,
  });
}

/** Collects a subscription's results until `until` says stop, it completes, or time runs out. */
export function collectSubscription<T = Record<string, any>>(
  client: Client,
  query: string,
  variables: Record<string, unknown>,
  until: (results: GraphQLResponse<T>[]) => boolean,
  timeoutMs = 10_000,
): Promise<GraphQLResponse<T>[]> {
  return new Promise((resolve, reject) => {
    const results: GraphQLResponse<T>[] = [];
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`Subscription timed out after ${timeoutMs} ms with ${JSON.stringify(results)}`));
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      unsubscribe();
      resolve(results);
    };
    const unsubscribe = client.subscribe<T>(
      { query, variables },
      {
        next: (value) => {
          results.push({ status: 200, headers: new Headers(), data: value.data ?? undefined, errors: value.errors as GraphQLResponse["errors"] });
          if (until(results)) finish();
        },
        error: (error) => {
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(JSON.stringify(error)));
        },
        complete: finish,
      },
    );
  });
}
