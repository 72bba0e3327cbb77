import { getVariableValues, type GraphQLError, type GraphQLSchema, type VariableDefinitionNode } from "graphql";

/**
 * Invalid variable values one answer reports. graphql-js makes an error of every invalid value
 * and quotes in each the whole object or list holding it, so a request's refusal grew with the
 * square of its size: 9,000 unknown enum values in 90 KB took 1.4 s of the gateway's CPU and
 * answered 2.7 MB; 700 unknown keys of one input object, each error quoting the object, took
 * 1.4 s and answered 64 MB, the process growing by 270 MB (two at once could end it). The
 * first invalid value tells the client what to change, as the subgraphs' own coercion would.
 */
const REPORTED = 1;

/**
 * The errors of a request's variables against the operation's definitions, or undefined when
 * every value coerces. Coercion stops at the first invalid value: at most two values are quoted
 * whatever the request holds (graphql-js quotes the next before it knows it is over the limit).
 */
export function invalidVariables(
  schema: GraphQLSchema,
  definitions: readonly VariableDefinitionNode[],
  variables: Record<string, unknown>,
): readonly GraphQLError[] | undefined {
  const { errors } = getVariableValues(schema, definitions, variables, { maxErrors: REPORTED });
  // The limit's own error comes last, names no variable and carries no code: the first
  // invalid value is the answer.
  return errors ? errors.slice(0, REPORTED) : undefined;
}
