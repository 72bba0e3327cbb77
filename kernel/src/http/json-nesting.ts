/**
 * How deep a request's JSON may nest, arrays and objects together, counted before it is parsed:
 * well above any request the platform serves (variables nest at most 16 levels, inside a batch,
 * an operation and its variables), far below what costs anything.
 *
 * Parsing is where nesting costs: JSON.parse took 12 ms for a 100 KB body of 49,000 nested
 * arrays against 0.3-4 ms for flat bodies of that size, and with a reviver (graphql-ws parses
 * every WebSocket message so) it overflowed the stack, which closed the socket as the server's
 * failure and logged an error for each message.
 */
export const MAX_JSON_NESTING = 32;

/** Whether `text` (JSON, or what claims to be) opens more than `maxDepth` arrays or objects inside one another; one pass, no allocation. */
export function jsonNestsDeeperThan(text: string, maxDepth: number = MAX_JSON_NESTING): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}
