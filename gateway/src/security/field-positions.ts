import type { DocumentNode, FieldNode, ParseOptions } from "graphql";
import { Parser } from "graphql/language/parser.js";

/** Where each field parsed by `parseNotingFields` starts in its text (kept as long as the field is). */
const starts = new WeakMap<FieldNode, number>();

/**
 * graphql's parser, which notes where each field starts. A document parsed with locations
 * holds every token of its text (92 bytes of heap per character of it against 35 without), and
 * parsing a text again with them to point a refusal at a line and column cost as much as the
 * first parse and the measure together (attack run 6: an alias refusal of a 1,000-token
 * fragment bomb took 2.4-3.6 ms of CPU, half of it that second parse). A refusal points at a
 * field (the deepest, the costliest list, the first of a crowded selection): its start is all
 * it needs.
 */
class FieldNotingParser extends Parser {
  override parseField(): FieldNode {
    const start = this._lexer.token.start;
    const field = super.parseField();
    starts.set(field, start);
    return field;
  }
}

/** Parses `text` as graphql's `parse` does (options and errors alike), noting where its fields start. */
export function parseNotingFields(text: string, options: ParseOptions): DocumentNode {
  return new FieldNotingParser(text, options).parseDocument();
}

/** Where `field` starts in the text it was parsed from, for a field of a document parsed by `parseNotingFields`. */
export const fieldStart = (field: FieldNode): number | undefined => starts.get(field);
