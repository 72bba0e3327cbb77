/**
 * The explorer's opening tabs as a newcomer runs them, in order: each tab's example variables
 * must fit its operation (a required variable missing, or one the operation does not declare,
 * is refused before anything runs), the journey must leave something to buy by checkout, and
 * each tab runs as the account it needs (an admin's tabs as the admin, after SignUp too).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { readFileSync } from "node:fs";
import { buildASTSchema, Kind, parse, type OperationDefinitionNode } from "graphql";
import { readGoldenOperations } from "../../schema/golden-operations.js";
// @ts-expect-error plain browser JavaScript, bundled into the explorer, without type declarations
import { ADMIN_TOKEN_PLACEHOLDER, createSessionTokens, TOKEN_PLACEHOLDER } from "../explorer/src/session-tokens.js";

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

/** Root fields whose description says only an admin may run them ("Creates a coupon (admin)."). */
function adminRootFields(): Set<string> {
  const schema = buildASTSchema(parse(readFileSync("schema/supergraph.graphql", "utf8")), { assumeValidSDL: true });
  const fields = [schema.getQueryType(), schema.getMutationType()].flatMap((type) => Object.values(type?.getFields() ?? {}));
  return new Set(fields.filter((field) => /\(admin\)/.test(field.description ?? "")).map((field) => field.name));
}

test("run in order, each tab runs as the account it needs: an admin's tabs as the admin of LogIn, even after SignUp made a customer", async () => {
  const admin = adminRootFields();
  assert.ok(admin.has("setTaxRate") && admin.has("shipOrder"), "the schema marks admin fields");
  const problems: string[] = [];
  for (const tab of await explorerTabs()) {
    const operation = operationOf(tab.query);
    const rootFields = operation.selectionSet.selections.flatMap((selection) => (selection.kind === Kind.FIELD ? [selection.name.value] : []));
    const needsAdmin = rootFields.some((field) => admin.has(field));
    const runsAsAdmin = tab.headers.includes(ADMIN_TOKEN_PLACEHOLDER);
    if (needsAdmin !== runsAsAdmin) problems.push(`${operation.name?.value}: ${needsAdmin ? "needs" : "does not need"} the admin but its headers ${runsAsAdmin ? "name" : "do not name"} ${ADMIN_TOKEN_PLACEHOLDER}`);
  }
  assert.deepEqual(problems, []);
});

test("the explorer fills the admin's token into admin tabs and the last account's into the others", () => {
  const token = (claims: object) => `h.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.s`;
  const adminToken = token({ sub: "usr_admin", roles: ["customer", "admin"] });
  const customerToken = token({ sub: "usr_new", roles: ["customer"] });
  const tokens = createSessionTokens();
  const admin = { Authorization: `Bearer ${ADMIN_TOKEN_PLACEHOLDER}` };
  const customer = { Authorization: `Bearer ${TOKEN_PLACEHOLDER}` };
  assert.deepEqual(tokens.fill(admin), {}, "no token yet: the header is left out, so the gateway says to sign in");
  tokens.remember({ data: { logIn: { accessToken: adminToken } } });
  tokens.remember({ data: { signUp: { accessToken: customerToken } } });
  tokens.remember({ data: { cart: { id: "c" } } });
  assert.deepEqual(tokens.fill(admin), { Authorization: `Bearer ${adminToken}` });
  assert.deepEqual(tokens.fill(customer), { Authorization: `Bearer ${customerToken}` });
  assert.deepEqual(tokens.fill({ "X-Cart-Token": "gc1.x" }), { "X-Cart-Token": "gc1.x" });
});
