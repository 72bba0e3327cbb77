/**
 * Checks on the raw values of a request (query text, variables) before anything parses or
 * stores them. NUL bytes and lone UTF-16 surrogates are refused because no field of this
 * store can hold them meaningfully and databases reject them with driver errors; deep
 * nesting is refused because coercing a variable recurses once per level.
 */

import { BREAK, visit, type DocumentNode } from "graphql";

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a text is unusable, or undefined when it is fine. */
export function unsafeTextReason(text: string): string | undefined {
  if (text.includes("\u0000")) return "contains a NUL character";
  if (LONE_SURROGATE.test(text)) return "is not valid Unicode (a lone surrogate)";
  return undefined;
}

/**
 * Walks a JSON value without recursion (so no depth can overflow the stack) and returns the
 * first problem: nesting deeper than `maxDepth`, or an unusable string (keys included).
 */
export function unsafeValueReason(value: unknown, maxDepth: number): string | undefined {
  const pending: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (pending.length > 0) {
    const { value: current, depth } = pending.pop()!;
    if (typeof current === "string") {
      const reason = unsafeTextReason(current);
      if (reason) return `a string ${reason}`;
      continue;
    }
    if (current === null || typeof current !== "object") continue;
    if (depth >= maxDepth) return `values are nested deeper than ${maxDepth} levels`;
    if (Array.isArray(current)) {
      for (const item of current) pending.push({ value: item, depth: depth + 1 });
      continue;
    }
    for (const [key, item] of Object.entries(current)) {
      const reason = unsafeTextReason(key);
      if (reason) return `a key ${reason}`;
      pending.push({ value: item, depth: depth + 1 });
    }
  }
  return undefined;
}

/** The first string literal of a parsed document that is unusable (escapes such as `\u0000` decoded). */
export function unsafeLiteralReason(document: DocumentNode): string | undefined {
  let found: string | undefined;
  visit(document, {
    StringValue(node) {
      const reason = unsafeTextReason(node.value);
      if (!reason) return undefined;
      found = `has a string that ${reason}`;
      return BREAK;
    },
  });
  return found;
}
