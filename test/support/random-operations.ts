import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from "graphql";
import { seededRandom as catalogRandom } from "../../subgraphs/products/src/catalog/seeded-random.js";

/** The catalog's seeded generator, with the two draws the operation generator needs. */
export function seededRandom(seed: number) {
  const random = catalogRandom(seed);
  return { ...random, int: (max: number) => random.int(0, max - 1), chance: (p: number) => random.next() < p };
}

export type Random = ReturnType<typeof seededRandom>;

/** One generated operation and what it asks for, so tests can check what the gateway charged. */
export interface GeneratedOperation {
  query: string;
  /** Runs of each budgeted root field (`search`, `autocomplete`) in the operation. */
  searchRuns: number;
}

const NASTY_STRINGS = ["", "lamp", "x".repeat(300), "a\u0000b", "\ud800", "ünïcødé ✓", "' OR 1=1 --", "${jndi:x}", "%00", "\\u0000"];

/**
 * Builds random operations from the schema: valid-looking and broken ones alike. Selections
 * nest to random depths with aliases, inline fragments on the parent type and named
 * fragments spread one to three times, at the root too; arguments get values of the right
 * type most of the time, and hostile or wrong-typed ones otherwise.
 */
export function createOperationGenerator(schema: GraphQLSchema, random: Random) {
  let fragmentCount = 0;

  function literal(type: GraphQLInputType, depth: number): string {
    if (isNonNullType(type)) return literal(type.ofType, depth);
    if (random.chance(0.05)) return random.pick(["null", "42", '"wrong"', "[1]", "{ a: 1 }"]);
    if (isListType(type)) return `[${Array.from({ length: random.int(3) }, () => literal(type.ofType, depth + 1)).join(", ")}]`;
    const named = getNamedType(type);
    if (isEnumType(named)) return random.pick(named.getValues()).name;
    if (isInputObjectType(named)) {
      if (depth > 3) return "{}";
      const fields = Object.values(named.getFields()).filter((f) => isNonNullType(f.type) || random.chance(0.4));
      return `{ ${fields.map((f) => `${f.name}: ${literal(f.type, depth + 1)}`).join(", ")} }`;
    }
    if (isScalarType(named)) {
      switch (named.name) {
        case "Int":
          return String(random.pick([1, 5, 20, 0, -1, 100000, 2147483647]));
        case "Float":
          return String(random.pick([1.5, 0, -3]));
        case "Boolean":
          return random.pick(["true", "false"]);
        case "ID":
          return JSON.stringify(random.pick(["prod_0000001", "prod_0000002", "ord_unknown", "addr_1", "", "a\u0000b"]));
        default:
          return JSON.stringify(random.pick(NASTY_STRINGS));
      }
    }
    return "null";
  }

  function fieldCall(field: GraphQLField<unknown, unknown>): string {
    const args = field.args.filter((a) => isNonNullType(a.type) || random.chance(0.3));
    return args.length ? `${field.name}(${args.map((a) => `${a.name}: ${literal(a.type, 0)}`).join(", ")})` : field.name;
  }

  function selection(type: GraphQLObjectType, depth: number, maxDepth: number, fragments: string[], tally: { searchRuns: number }, root: boolean): string {
    const fields = Object.values(type.getFields());
    const picked = Array.from({ length: 1 + random.int(4) }, () => random.pick(fields));
    const parts: string[] = [];
    for (const [i, field] of picked.entries()) {
      const alias = random.chance(0.3) ? `a${depth}_${i}_${random.int(1000)}: ` : "";
      const named = getNamedType(field.type);
      let sub = "";
      if (isObjectType(named)) {
        if (depth >= maxDepth) continue;
        sub = ` { ${selection(named, depth + 1, maxDepth, fragments, tally, false)} }`;
      } else if (!isScalarType(named) && !isEnumType(named)) {
        sub = " { __typename }";
      }
      parts.push(`${alias}${fieldCall(field)}${sub}`);
      if (root && (field.name === "search" || field.name === "autocomplete")) tally.searchRuns += 1;
    }
    if (parts.length === 0) parts.push("__typename");
    let body = parts.join(" ");
    if (random.chance(0.2)) body = `... on ${type.name} { ${body} }`;
    if (random.chance(0.25)) {
      const name = `G${fragmentCount++}`;
      fragments.push(`fragment ${name} on ${type.name} { ${body} }`);
      const spreads = 1 + random.int(3);
      // Each spread runs the fragment's root fields again.
      if (root) tally.searchRuns *= spreads;
      body = Array.from({ length: spreads }, () => `...${name}`).join(" ");
    }
    return body;
  }

  return {
    next(): GeneratedOperation {
      const mutation = random.chance(0.2) && schema.getMutationType();
      const rootType = (mutation || schema.getQueryType())!;
      const fragments: string[] = [];
      const tally = { searchRuns: 0 };
      const maxDepth = random.pick([2, 4, 6, 14]);
      const body = selection(rootType, 1, maxDepth, fragments, tally, true);
      return { query: `${mutation ? "mutation" : "query"} { ${body} } ${fragments.join(" ")}`, searchRuns: tally.searchRuns };
    },
  };
}
