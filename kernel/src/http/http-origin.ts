/**
 * A host as it stands in a URL: an IPv6 address in brackets. `http://::1:4000` is no URL, and
 * every server started with HOST=::1 announced (and told its callers) one like it.
 */
export function hostInUrl(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

/** `http://host:port` for a server listening on `host` and `port`, whatever the address family. */
export function httpOrigin(host: string, port: number): string {
  return `http://${hostInUrl(host)}:${port}`;
}
