// Every field and type the subgraphs mark @inaccessible is for other services only (the reindex
// read, units sold, stock holds, the guest-cart merge, saved addresses by user id...). Whatever a
// future change marks so, the gateway must neither describe it nor run it, for any caller,
// admin included: the class, read from the composed supergraph, not a list kept by hand.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { buildASTSchema, isObjectType, parse, type GraphQLSchema } from "graphql";
import { startTestSupergraph, type TestSupergraph } from "../support/start-test-supergraph.js";

const supergraphSdl = readFileSync(new URL("../../schema/supergraph.graphql", import.meta.url), "utf8");

/** Fields and types marked @inaccessible in the supergraph. */
function inaccessible(schema: GraphQLSchema) {
  const marked = (node: { directives?: readonly { name: { value: string } }[] } | null | undefined) => node?.directives?.some((d) => d.name.value === "inaccessible") ?? false;
  const types: string[] = [];
  const fields: { type: string; field: string }[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith("__") || type.name.startsWith("join__") || type.name.startsWith("link__")) continue;
    if (marked(type.astNode)) types.push(type.name);
    if (isObjectType(type)) for (const field of Object.values(type.getFields())) if (marked(field.astNode)) fields.push({ type: type.name, field: field.name });
  }
  return { types, fields };
}

describe("fields and types marked @inaccessible stay inside the platform", () => {
  let sg: TestSupergraph;
  let admin: string;
  const hidden = inaccessible(buildASTSchema(parse(supergraphSdl), { assumeValidSDL: true }));

  before(async () => {
    sg = await startTestSupergraph();
    admin = await sg.token("hidden-admin", ["customer", "admin"]);
  });
  after(() => sg?.close());

  it("finds the internal fields it guards in the supergraph", () => {
    const names = hidden.fields.map((f) => `${f.type}.${f.field}`);
    for (const expected of ["Query.catalogPage", "Product.popularity", "Product.version", "Mutation.reserveStock", "Mutation.returnStock", "Query.customerOrderLines", "Query.customerOrderCouponGivenBack", "Query.customerOrderStatus"]) {
      assert.ok(names.includes(expected), `${expected} is marked @inaccessible (found: ${names.join(", ")})`);
    }
  });

  it("describes none of them in introspection", async () => {
    for (const { type, field } of hidden.fields) {
      const res = await sg.query(`query($name: String!) { __type(name: $name) { fields(includeDeprecated: true) { name } } }`, { name: type }, admin);
      assert.equal(res.errors, undefined, JSON.stringify(res.errors));
      const names = (res.data?.__type?.fields ?? []).map((f: { name: string }) => f.name);
      assert.ok(!names.includes(field), `${type}.${field} is described to clients`);
    }
    for (const type of hidden.types) {
      const res = await sg.query(`query($name: String!) { __type(name: $name) { name } }`, { name: type }, admin);
      assert.equal(res.data?.__type ?? null, null, `type ${type} is described to clients`);
    }
  });

  it("refuses to run a root one, for an admin too, with a validation error and no data", async () => {
    const roots = hidden.fields.filter((f) => f.type === "Query" || f.type === "Mutation");
    assert.ok(roots.length >= 5, `internal root fields found: ${roots.length}`);
    for (const { type, field } of roots) {
      const operation = `${type === "Query" ? "query" : "mutation"} { ${field} { __typename } }`;
      const res = await sg.query(operation, {}, admin);
      assert.equal(res.data ?? null, null, `${operation} ran`);
      assert.equal(res.errors?.[0]?.extensions?.code, "GRAPHQL_VALIDATION_FAILED", `${operation}: ${JSON.stringify(res.errors)}`);
    }
  });

  it("refuses an internal product field selected through a public one", async () => {
    for (const field of hidden.fields.filter((f) => f.type === "Product").map((f) => f.field)) {
      const res = await sg.query(`{ product(id: "prod_0000001") { id ${field} } }`, {}, admin);
      assert.equal(res.data ?? null, null);
      assert.equal(res.errors?.[0]?.extensions?.code, "GRAPHQL_VALIDATION_FAILED", `Product.${field}: ${JSON.stringify(res.errors)}`);
    }
  });
});
