import type { ApolloServerPlugin, BaseContext } from "@apollo/server";
import { GraphQLError, visit, BREAK, type DocumentNode, type StringValueNode } from "graphql";
import { ErrorCode } from "../errors/error-codes.js";
import { isStorableText } from "../text/well-formed-text.js";

const MESSAGE = "Text input must not contain NUL characters or unpaired UTF-16 surrogates";

/**
 * Refuses, with BAD_USER_INPUT and before any resolver runs, an operation whose variables or
 * string literals hold a NUL character or an unpaired surrogate. No field of this platform
 * accepts either, and each would otherwise travel to a driver and come back as a database
 * error: one check here keeps every subgraph's resolvers from having to remember it.
 *
 * Invisible and format characters (a zero-width space, a bidi override) are not refused here,
 * on purpose: this guard sees every string, and some strings are not text a person reads. A
 * password must keep working whatever it holds (one set before a rule cannot be refused at
 * logIn), a search query pasted from a web page carries soft hyphens and zero-width spaces that
 * only make it match less, and tokens, cursors and keys are opaque. Text that is stored and
 * shown to others is checked field by field with the kernel's singleLineText and
 * multiLineText, which also know whether a field may take line breaks.
 *
 * HTTP 200 on purpose: the gateway's data source turns a non-2xx subgraph answer into an
 * uncoded error (which clients would see as INTERNAL_SERVER_ERROR), while the errors of a
 * 200 answer reach the client with their code.
 */
export function textInputGuardPlugin<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document }) {
          const variable = unstorableVariable(request.variables);
          if (variable !== undefined) throw refusal({ variable });
          const literal = unstorableLiteral(document);
          if (literal) throw refusal({}, literal);
        },
      };
    },
  };
}

function refusal(details: Record<string, unknown>, node?: StringValueNode): GraphQLError {
  return new GraphQLError(MESSAGE, { nodes: node, extensions: { code: ErrorCode.BAD_USER_INPUT, ...details, http: { status: 200 } } });
}

/**
 * The name of the first variable holding unstorable text anywhere inside it (keys too).
 * Iterative: a deeply nested JSON value must not overflow the stack.
 */
export function unstorableVariable(variables: Record<string, unknown> | undefined): string | undefined {
  for (const [name, value] of Object.entries(variables ?? {})) {
    const pending: unknown[] = [value];
    while (pending.length > 0) {
      const next = pending.pop();
      if (typeof next === "string") {
        if (!isStorableText(next)) return name;
      } else if (Array.isArray(next)) {
        for (const item of next) pending.push(item);
      } else if (next !== null && typeof next === "object") {
        for (const [key, inner] of Object.entries(next)) {
          if (!isStorableText(key)) return name;
          pending.push(inner);
        }
      }
    }
  }
  return undefined;
}

/**
 * Verdicts per parsed document. Apollo Server parses a query text once and gives every request
 * of it the same DocumentNode, so the walk (14 µs for a storefront account page) is done once
 * per operation text rather than per request.
 */
const literalVerdicts = new WeakMap<DocumentNode, StringValueNode | null>();

/** The first string literal (argument, default value, directive argument) holding unstorable text. */
export function unstorableLiteral(document: DocumentNode): StringValueNode | undefined {
  const known = literalVerdicts.get(document);
  if (known !== undefined) return known ?? undefined;
  let found: StringValueNode | undefined;
  visit(document, {
    StringValue(node) {
      if (isStorableText(node.value)) return undefined;
      found = node;
      return BREAK;
    },
  });
  literalVerdicts.set(document, found ?? null);
  return found;
}
