import { parse } from 'graphql';

/**
 * The operationName to send with `query`. GraphiQL updates the name it sends a moment after the
 * editor changes, so running a query right after replacing another sent the old name, which
 * the gateway refuses (400, unknown operationName). The name is taken from the text being
 * sent instead: the requested one when the document has it, else the document's only
 * operation's, else none (the gateway then asks which one to run).
 */
export function operationNameFor(query, requested) {
  let names;
  try {
    names = parse(query).definitions
      .filter((definition) => definition.kind === 'OperationDefinition')
      .map((definition) => (definition.name ? definition.name.value : undefined));
  } catch {
    // Not parseable: send as it is, the gateway answers with the syntax error.
    return requested;
  }
  if (requested && names.includes(requested)) return requested;
  return names.length === 1 ? names[0] : undefined;
}
