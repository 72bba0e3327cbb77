// Every part of the public API says what it is: the explorer's docs pane and a generated
// client's comments are read from these descriptions, and an undescribed argument (`id` of
// which order? `input` of what?) or value leaves a client developer guessing.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { isEnumType, isInputObjectType, isInterfaceType, isIntrospectionType, isObjectType, isSpecifiedScalarType, type GraphQLSchema } from "graphql";
import { Supergraph } from "@apollo/federation-internals";
import { composeSupergraph } from "../schema/compose-supergraph.js";
import { SUPERGRAPH_PATH } from "../schema/subgraphs.js";

/** Each part of `schema` a client sees that has no description, as `Type.field(argument)`. */
export function undescribed(schema: GraphQLSchema): string[] {
  const missing: string[] = [];
  const bare = (description: string | null | undefined) => !description?.trim();
  for (const type of Object.values(schema.getTypeMap())) {
    if (isIntrospectionType(type) || isSpecifiedScalarType(type)) continue;
    if (bare(type.description)) missing.push(type.name);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (bare(field.description)) missing.push(`${type.name}.${field.name}`);
        for (const arg of field.args) if (bare(arg.description)) missing.push(`${type.name}.${field.name}(${arg.name})`);
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) if (bare(field.description)) missing.push(`${type.name}.${field.name}`);
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) if (bare(value.description)) missing.push(`${type.name}.${value.name}`);
    }
  }
  return missing;
}

describe("the public API's descriptions", () => {
  it("describe every type, field, argument, input field and enum value a client can see", () => {
    const composed = composeSupergraph();
    assert.ok(!("errors" in composed), "the subgraphs compose");
    const api = Supergraph.build(composed.supergraphSdl).apiSchema().toGraphQLJSSchema();
    assert.deepEqual(undescribed(api), []);
  });

  it("are in the checked-in supergraph the gateway serves", () => {
    const api = Supergraph.build(readFileSync(SUPERGRAPH_PATH, "utf8")).apiSchema().toGraphQLJSSchema();
    assert.deepEqual(undescribed(api), []);
  });
});
