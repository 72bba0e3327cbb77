import { Kind, visit, type DocumentNode, type FieldNode, type FragmentDefinitionNode, type OperationDefinitionNode } from "graphql";

/** The response key the gateway reads an order's status under, unless the client's document uses that name. */
export const STATUS_PROBE_ALIAS = "__liveStatus";

/**
 * A response key for the status probe that names nothing in the client's document: a client
 * aliasing one of its own fields `__liveStatus` made the live query fail validation with a
 * conflict naming the gateway's alias, a field it never wrote (or, had the types agreed, had
 * its own value read as the status and deleted from its answer).
 */
function probeAliasFor(document: DocumentNode): string {
  const names = new Set<string>();
  visit(document, { Name: (node) => void names.add(node.value) });
  let alias = STATUS_PROBE_ALIAS;
  for (let n = 1; names.has(alias); n++) alias = `${STATUS_PROBE_ALIAS}${n}`;
  return alias;
}

/**
 * Turns `subscription { orderStatusChanged(orderId: X) { ...selection } }` into
 * `query { orderStatusChanged: order(id: X) { ...selection, __liveStatus: status } }` (the
 * status under a key `statusKey` the client's document does not use).
 * The gateway cannot execute subscriptions, but it can run this query through the query
 * planner on every status change, so a subscriber may select fields of any subgraph.
 * `responseKey` is where the answer holds the order: the client's alias, if it chose one.
 */
export function subscriptionToQuery(
  document: DocumentNode,
  operationName?: string | null,
): { query: DocumentNode; field: FieldNode; responseKey: string; statusKey: string } | { error: string } {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
  if (!operation || operation.operation !== "subscription") return { error: "Send exactly one subscription operation" };
  const fields = operation.selectionSet.selections;
  const field = fields[0];
  if (fields.length !== 1 || field?.kind !== Kind.FIELD || field.name.value !== "orderStatusChanged") {
    return { error: "Subscribe to exactly one field: orderStatusChanged" };
  }
  // A subscription's one field is always selected (the spec's single root field rule): skipped,
  // the order was told missing to its owner, every time.
  if (field.directives?.length) return { error: "orderStatusChanged takes no directives (@skip, @include): a subscription's one field is always selected" };
  const statusKey = probeAliasFor(document);
  const rewritten: FieldNode = {
    ...field,
    alias: field.alias ?? { kind: Kind.NAME, value: "orderStatusChanged" },
    name: { kind: Kind.NAME, value: "order" },
    arguments: (field.arguments ?? []).map((arg) => (arg.name.value === "orderId" ? { ...arg, name: { kind: Kind.NAME, value: "id" } } : arg)),
    selectionSet: {
      kind: Kind.SELECTION_SET,
      selections: [
        ...(field.selectionSet?.selections ?? []),
        { kind: Kind.FIELD, alias: { kind: Kind.NAME, value: statusKey }, name: { kind: Kind.NAME, value: "status" } },
      ],
    },
  };
  const query: DocumentNode = {
    kind: Kind.DOCUMENT,
    definitions: [
      ...fragmentsSpreadBy(operation, document),
      { ...operation, operation: "query" as OperationDefinitionNode["operation"], selectionSet: { kind: Kind.SELECTION_SET, selections: [rewritten] } },
    ],
  };
  return { query, field, responseKey: rewritten.alias!.value, statusKey };
}

/**
 * The fragments `operation` spreads, directly or through other fragments. A document of several
 * operations sharing fragments is sent with an operationName; the others' fragments, unused in
 * the query run, would fail its validation and end the stream.
 */
function fragmentsSpreadBy(operation: OperationDefinitionNode, document: DocumentNode): FragmentDefinitionNode[] {
  const byName = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
  const used = new Map<string, FragmentDefinitionNode>();
  const walk = (node: OperationDefinitionNode | FragmentDefinitionNode) =>
    visit(node, {
      FragmentSpread(spread) {
        const fragment = byName.get(spread.name.value);
        if (!fragment || used.has(fragment.name.value)) return;
        used.set(fragment.name.value, fragment);
        walk(fragment);
      },
    });
  walk(operation);
  return [...used.values()];
}
