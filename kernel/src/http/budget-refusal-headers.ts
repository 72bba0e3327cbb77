/**
 * The headers of an answer refusing a request because its sender's budget is spent (429): when
 * to retry, and that the connection ends with this answer. A refusal is cheap but not free (the
 * request is read, its token checked, its body parsed, its answer written: a quarter of a
 * millisecond), and a client ignoring `retry-after` went on over one keep-alive connection at
 * will: 1,400 refusals a second, pipelined, held 28% of a gateway core. Its next request must
 * open a new connection, and new connections are counted per client network
 * (GATEWAY_NEW_CONNECTIONS_PER_MINUTE); a well-behaved client reconnects once, after the wait.
 */
export function budgetRefusalHeaders(retryAfterSeconds: number | undefined): Record<string, string> {
  return { ...(retryAfterSeconds ? { "retry-after": String(retryAfterSeconds) } : {}), connection: "close" };
}
