import { GraphQLError, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from "graphql";
import { ErrorCode, withoutSuggestions } from "#kernel";
import { invalidVariables, VALIDATION_OPTIONS } from "../execution/mistakes-reported.js";
import { variableNameHint } from "../execution/misnamed-request-parts.js";

/** Documents found valid: a text the request policy keeps parsed is validated once. */
const valid = new WeakSet<DocumentNode>();

/**
 * The mistakes of a subscription as the client wrote it: its document against the API schema
 * (graphql-js's rules, as Apollo Server validates a query) and its variables against the
 * operation's definitions, or undefined when there are none.
 *
 * A subscription is never run as sent: the gateway runs its selection as an `order` query
 * (subscription-to-query.ts), and the mistakes of that query spoke of what the client never
 * wrote ("Unknown argument on field Query.order", the internal status alias) at lines and
 * columns of a text printed by the gateway. Judged here first, a mistake names the client's
 * own fields, at places in the client's own text, coded as HTTP codes it:
 * GRAPHQL_VALIDATION_FAILED for the document, BAD_USER_INPUT for a variable's value. These
 * errors reach the socket without the HTTP error formatter, so graphql-js's "Did you mean"
 * hints are taken out here unless `fieldSuggestions` (outside production): they spell out the
 * schema that introspection keeps hidden.
 */
export function subscriptionMistakes(
  schema: GraphQLSchema,
  sent: { query: string; document: DocumentNode; operation: OperationDefinitionNode; variables: Record<string, unknown> },
  options: { fieldSuggestions?: boolean } = {},
): readonly GraphQLError[] | undefined {
  const told = (message: string) => (options.fieldSuggestions ? message : withoutSuggestions(message));
  if (!valid.has(sent.document)) {
    if (validate(schema, sent.document, specifiedRules, VALIDATION_OPTIONS).length > 0) {
      // The kept document has no locations (parsed without): its mistakes are found again in
      // a parse that has them, so each points into the text the client sent.
      const located = validate(schema, parse(sent.query), specifiedRules, VALIDATION_OPTIONS);
      return located.map((error) => new GraphQLError(told(error.message) + variableNameHint(error, options.fieldSuggestions ? schema : undefined), { nodes: error.nodes, source: error.source, positions: error.positions, extensions: { code: "GRAPHQL_VALIDATION_FAILED" } }));
    }
    valid.add(sent.document);
  }
  const definitions = sent.operation.variableDefinitions ?? [];
  if (definitions.length === 0 || !invalidVariables(schema, definitions, sent.variables)) return undefined;
  // Found again on a located parse, as above: the error points at the variable's definition.
  const index = sent.document.definitions.indexOf(sent.operation);
  const located = parse(sent.query).definitions[index] as OperationDefinitionNode;
  return invalidVariables(schema, located.variableDefinitions ?? [], sent.variables)?.map(
    (error) => new GraphQLError(told(error.message), { nodes: error.nodes, source: error.source, positions: error.positions, extensions: { code: ErrorCode.BAD_USER_INPUT } }),
  );
}
