import { composeServices } from "@apollo/composition";
import { parse } from "graphql";

/**
 * Two subgraphs whose types the storefront's schema has none of: an interface implemented by two
 * entities, a union mixing entities and a plain type, nullable and non-null abstract fields,
 * lists of them. Entity fetches under an interface select their representations through inline
 * fragments; answers name their type by `__typename`.
 */
export const ABSTRACT_SUBGRAPHS: Record<string, string> = {
  shelves: `
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
    interface Item { id: ID! title: String! }
    type Book implements Item @key(fields: "id") { id: ID! title: String! pages: Int }
    type Lamp implements Item @key(fields: "id") { id: ID! title: String! watts: Int! }
    type Notice { text: String! level: Level }
    enum Level { LOW HIGH }
    union Found = Book | Lamp | Notice
    type Shelf { label: String items: [Item]! featured: Item! }
    type Query {
      items(first: Int = 2): [Item!]!
      item(id: ID!): Item
      find(text: String!): [Found]!
      shelf: Shelf
    }
  `,
  stock: `
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
    type Book @key(fields: "id") { id: ID! stock: Int! }
    type Lamp @key(fields: "id") { id: ID! stock: Int inStock: Boolean! }
  `,
};

export function composeAbstractSupergraph(): string {
  const result = composeServices(Object.entries(ABSTRACT_SUBGRAPHS).map(([name, sdl]) => ({ name, url: `http://${name}.invalid/graphql`, typeDefs: parse(sdl) })));
  if (result.errors) throw new Error(result.errors.map((error) => error.message).join("\n"));
  return result.supergraphSdl;
}

export const ABSTRACT_OPERATIONS = [
  `query Items { items { __typename id title ... on Book { pages stock } ... on Lamp { watts lampStock: stock inStock } } }`,
  `query ItemCard($id: ID!) { item(id: $id) { ...Card } } fragment Card on Item { id title kind: __typename ... on Lamp { inStock } ...BookStock } fragment BookStock on Book { stock }`,
  `query Find($text: String = "x") { find(text: $text) { __typename ... on Item { id title } ... on Notice { text level } ... on Book { stock pages } } }`,
  `query Shelf($withStock: Boolean = true) { shelf { label items { id ... on Lamp @include(if: $withStock) { stock } } featured { t: __typename title ... on Book { stock } } } }`,
  `query Kinds { items(first: 3) { kind: __typename } find(text: "y") { kind: __typename ... on Lamp { id watts } } }`,
];
