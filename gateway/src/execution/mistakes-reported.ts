import { getVariableValues, GraphQLError, type GraphQLSchema, type validate, type VariableDefinitionNode } from "graphql";
import { undeclaredVariablesHint } from "./misnamed-request-parts.js";

/**
 * How many mistakes a refused request is told of: a request's text and variables are the
 * caller's, and each mistake reported costs the gateway more than finding it (a suggestion
 * measured against every name it could have meant, an error built, formatted and written).
 */

/**
 * Validation errors one answer reports (graphql-js stops at 100, then says it stopped). 100
 * unknown fields in a 1 KB text took 15-18 ms of the gateway's CPU to refuse against 3-4 ms for
 * five, so a caller's 600 operations a minute of them held 18% of a core from one address; a
 * client fixing its text meets the next ones on its next try, and editors show them all.
 */
export const VALIDATION_OPTIONS: NonNullable<Parameters<typeof validate>[3]> = { maxErrors: 10 };

/**
 * Invalid variable values one answer reports. graphql-js makes an error of every invalid value
 * and quotes in each the whole object or list holding it, so a request's refusal grew with the
 * square of its size: 9,000 unknown enum values in 90 KB took 1.4 s of the gateway's CPU and
 * answered 2.7 MB; 700 unknown keys of one input object, each error quoting the object, took
 * 1.4 s and answered 64 MB, the process growing by 270 MB (the one-process platform ended
 * during a run of two at a time). The first invalid value tells the client what to change.
 */
const VARIABLE_ERRORS_REPORTED = 1;

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
  const { errors } = getVariableValues(schema, definitions, variables, { maxErrors: VARIABLE_ERRORS_REPORTED });
  // The limit's own error comes last, names no variable and carries no code: the first
  // invalid value is the answer.
  if (!errors) return undefined;
  return errors.slice(0, VARIABLE_ERRORS_REPORTED).map((error) => {
    // graphql-js's own words for a required variable absent from the request.
    const hint = error.message.endsWith(" was not provided.") ? undeclaredVariablesHint(definitions, variables) : "";
    return hint ? new GraphQLError(error.message + hint, { nodes: error.nodes, source: error.source, positions: error.positions, path: error.path, originalError: error.originalError, extensions: error.extensions }) : error;
  });
}
