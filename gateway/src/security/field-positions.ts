import { syntaxError, TokenKind, type DocumentNode, type FieldNode, type NameNode, type ParseOptions, type ValueNode, type ConstValueNode } from "graphql";
import { Parser } from "graphql/language/parser.js";

/**
 * Longest name a document may hold: field, alias, argument, variable, type, directive, enum
 * value, fragment and operation names alike. This schema's longest is 28 characters. A name is
 * quoted whole wherever it is wrong, and graphql-js measures it against every name it could have
 * meant ("Did you mean"): a 90 KB field name took 8-16 ms of the gateway's CPU to refuse
 * (against 1.3 ms for a small request) and came back whole in the answer; it also keyed the
 * caches of plans and answers.
 */
export const MAX_NAME_LENGTH = 128;

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
  override parseName(): NameNode {
    this.boundName();
    return super.parseName();
  }

  /** A value written as a name (an enum value) is read without parseName. */
  override parseValueLiteral(isConst: true): ConstValueNode;
  override parseValueLiteral(isConst: boolean): ValueNode;
  override parseValueLiteral(isConst: boolean): ValueNode {
    this.boundName();
    return super.parseValueLiteral(isConst);
  }

  private boundName(): void {
    const token = this._lexer.token;
    if (token.kind === TokenKind.NAME && token.end - token.start > MAX_NAME_LENGTH) {
      throw syntaxError(this._lexer.source, token.start, `A name has at most ${MAX_NAME_LENGTH} characters; this one has ${token.end - token.start}.`);
    }
  }

  override parseField(): FieldNode {
    const start = this._lexer.token.start;
    const field = super.parseField();
    starts.set(field, start);
    return field;
  }
}

/** Parses `text` as graphql's `parse` does (options and errors alike, and names of at most MAX_NAME_LENGTH), noting where its fields start. */
export function parseNotingFields(text: string, options: ParseOptions): DocumentNode {
  return new FieldNotingParser(text, options).parseDocument();
}

/** Where `field` starts in the text it was parsed from, for a field of a document parsed by `parseNotingFields`. */
export const fieldStart = (field: FieldNode): number | undefined => starts.get(field);
