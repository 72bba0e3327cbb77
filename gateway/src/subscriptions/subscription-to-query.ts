import { Kind, type DocumentNode, type FieldNode, type OperationDefinitionNode } from "graphql";

export const STATUS_PROBE_ALIAS = "__liveStatus";

/**
 * Turns `subscription { orderStatusChanged(orderId: X) { ...selection } }` into
 * `query { orderStatusChanged: order(id: X) { ...selection, __liveStatus: status } }`.
 * The gateway cannot execute subscriptions, but it can run this query through the query
 * planner on every status change, so a subscriber may select fields of any subgraph.
 */
export function subscriptionToQuery(document: DocumentNode, operationName?: string | null): { query: DocumentNode; field: FieldNode } | { error: string } {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
  if (!operation || operation.operation !== "subscription") return { error: "Send exactly one subscription operation" };
  const fields = operation.selectionSet.selections;
  const field = fields[0];
  if (fields.length !== 1 || field?.kind !== Kind.FIELD || field.name.value !== "orderStatusChanged") {
    return { error: "Subscribe to exactly one field: orderStatusChanged" };
  }
  const rewritten: FieldNode = {
    ...field,
    alias: field.alias ?? { kind: Kind.NAME, value: "orderStatusChanged" },
    name: { kind: Kind.NAME, value: "order" },
    arguments: (field.arguments ?? []).map((arg) => (arg.name.value === "orderId" ? { ...arg, name: { kind: Kind.NAME, value: "id" } } : arg)),
    selectionSet: {
      kind: Kind.SELECTION_SET,
      selections: [
        ...(field.selectionSet?.selections ?? []),
        { kind: Kind.FIELD, alias: { kind: Kind.NAME, value: STATUS_PROBE_ALIAS }, name: { kind: Kind.NAME, value: "status" } },
      ],
    },
  };
  const query: DocumentNode = {
    kind: Kind.DOCUMENT,
    definitions: [
      ...document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION),
      { ...operation, operation: "query" as OperationDefinitionNode["operation"], selectionSet: { kind: Kind.SELECTION_SET, selections: [rewritten] } },
    ],
  };
  return { query, field };
}
