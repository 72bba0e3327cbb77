/**
 * The explorer's opening tabs as a newcomer runs them, in order: each tab's example variables
 * must fit its operation (a required variable missing, or one the operation does not declare,
 * is refused before anything runs), and the journey must leave something to buy by checkout.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Kind, parse, type OperationDefinitionNode } from "graphql";
import { readGoldenOperations } from "../../schema/golden-operations.js";

interface Tab {
  query: string;
  variables: string;
  headers: string;
}

/** The tabs the bundle opens with, built from the golden operations as the build injects them. */
async function explorerTabs(): Promise<Tab[]> {
  (globalThis as { GOLDEN_OPERATIONS?: unknown }).GOLDEN_OPERATIONS = readGoldenOperations();
  const module = (await import(new URL("../explorer/src/golden-tabs.js", import.meta.url).href)) as { goldenTabs(): Tab[] };
  return module.goldenTabs();
}

function operationOf(query: string): OperationDefinitionNode {
  const operation = parse(query).definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  assert.ok(operation, "a tab holds one operation");
  return operation;
}

test("every explorer tab's example variables give what its operation requires, and nothing it does not declare", async () => {
  const problems: string[] = [];
  for (const tab of await explorerTabs()) {
    const operation = operationOf(tab.query);
    const given = Object.keys(JSON.parse(tab.variables) as Record<string, unknown>);
    const declared = operation.variableDefinitions ?? [];
    const required = declared.filter((definition) => definition.type.kind === Kind.NON_NULL_TYPE && !definition.defaultValue).map((definition) => definition.variable.name.value);
    const names = new Set(declared.map((definition) => definition.variable.name.value));
    for (const name of required) if (!given.includes(name)) problems.push(`${operation.name?.value}: $${name} is required but the tab does not give it`);
    for (const name of given) if (!names.has(name)) problems.push(`${operation.name?.value}: the tab gives ${name}, which the operation does not declare`);
  }
  assert.deepEqual(problems, []);
});

test("run in order, the cart tabs leave a line in the cart for ApplyCoupon, CartEstimate and Checkout", async () => {
  const tabs = (await explorerTabs()).map((tab) => ({ name: operationOf(tab.query).name?.value ?? "", variables: JSON.parse(tab.variables) as Record<string, unknown> }));
  const quantities = new Map<string, number>();
  for (const { name, variables } of tabs) {
    const line = String(variables.variantId ?? variables.productId);
    if (name === "AddToCart") quantities.set(line, (quantities.get(line) ?? 0) + Number(variables.quantity ?? 1));
    if (name === "UpdateCartItem") quantities.set(line, Number(variables.quantity));
    if (name === "RemoveFromCart") quantities.delete(line);
    if (name === "ApplyCoupon" || name === "CartEstimate" || name === "Checkout") assert.ok(quantities.size > 0, `${name} runs on an empty cart`);
    if (name === "Checkout") quantities.clear();
  }
});
