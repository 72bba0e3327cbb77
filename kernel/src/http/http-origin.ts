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

/**
 * A browser's `Origin` header as the URL of a web page, or undefined when it names none: "null"
 * (a sandboxed frame, a file), anything unreadable, or a scheme other than http and https.
 */
export function pageOrigin(origin: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return undefined;
  }
  return url.protocol === "http:" || url.protocol === "https:" ? url : undefined;
}
