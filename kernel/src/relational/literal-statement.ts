import { createRequire } from "node:module";
import pg from "pg";
import type { Prisma } from "../../../prisma/generated/client/client.js";

// pg's own conversion of a parameter to the text it sends (not in its typings).
const { prepareValue } = createRequire(import.meta.url)("pg/lib/utils.js") as { prepareValue: (value: unknown) => unknown };

/**
 * A statement's text with each value written in as a quoted literal, for a simple-protocol
 * query that carries more than one statement (`BEGIN; <statement>`, `<statement>; COMMIT`:
 * one round trip instead of two; a query with parameters holds one statement only).
 *
 * The same statement as with parameters: pg sends every parameter as text of no declared type
 * (it never names a type), and PostgreSQL resolves such a parameter from its context exactly as
 * it resolves a quoted literal, whose type is "unknown" until then. The text is pg's own for the
 * value (`prepareValue`: a date as pg formats it, here as UTC the way `queryDirect` sends dates;
 * an array as an array literal; an object as JSON), quoted by pg's `escapeLiteral`, which doubles
 * quotes and backslashes and marks the literal `E'...'` when it has one: nothing a value holds
 * can end the literal. A NULL is written NULL. Bytes are refused (pg sends them binary).
 */
export function withLiterals(query: Prisma.Sql): string {
  const { strings, values } = query;
  let text = strings[0]!;
  for (let i = 0; i < values.length; i++) text += literal(values[i]) + strings[i + 1]!;
  return text;
}

function literal(value: unknown): string {
  const prepared = prepareValue(value instanceof Date ? value.toISOString() : value);
  if (prepared === null) return "NULL";
  if (typeof prepared !== "string") throw new Error("a statement written with literals takes no bytes; send it with parameters");
  // The simple protocol sends the text NUL-terminated: a NUL inside a literal would end the
  // statement there, so it is refused here, as PostgreSQL refuses it in a parameter.
  if (prepared.includes("\0")) throw new Error("a value holding a NUL character cannot be sent to PostgreSQL");
  return pg.escapeLiteral(prepared);
}
