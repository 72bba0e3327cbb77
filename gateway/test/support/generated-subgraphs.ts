import { createHash } from "node:crypto";
import { buildSubgraphSchema } from "@apollo/subgraph";
import type { GraphQLDataSource } from "@apollo/gateway";
import {
  execute,
  getNamedType,
  getNullableType,
  GraphQLError,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  parse,
  type DocumentNode,
  type GraphQLFieldResolver,
  type GraphQLInputType,
  type GraphQLSchema,
  type GraphQLTypeResolver,
  type VariableDefinitionNode,
} from "graphql";
import { typeFromAST } from "graphql";

/**
 * How a generated subgraph misbehaves in one scenario: each knob is a share of the chances it
 * gets (per field, per answer). Scenario 0 is a subgraph that answers everything well.
 */
export interface Misbehaviour {
  /** A nullable field answered null. */
  nulls: number;
  /** A field's resolver throws (graphql-js then nulls it, or its parent when it is non-null), with a code or without. */
  throws: number;
  /** After executing: one value of the answer replaced by null, a wrong `__typename`, a leaf of the wrong kind. */
  corrupts: number;
  /** An entity of `_entities` answered null. */
  nullEntities: number;
  /** The whole call fails: a rejected fetch, or errors without data. */
  fails: number;
  /** Each `__typename` of the answer left out, null, or naming another type (an object, the root, an enum, none). */
  typenames?: number;
}

export const SCENARIOS: Misbehaviour[] = [
  { nulls: 0, throws: 0, corrupts: 0, nullEntities: 0, fails: 0 },
  { nulls: 0.3, throws: 0, corrupts: 0, nullEntities: 0, fails: 0 },
  { nulls: 0, throws: 0.15, corrupts: 0, nullEntities: 0, fails: 0 },
  { nulls: 0.1, throws: 0.05, corrupts: 0, nullEntities: 0.4, fails: 0 },
  { nulls: 0, throws: 0, corrupts: 1, nullEntities: 0, fails: 0 },
  { nulls: 0.2, throws: 0.1, corrupts: 0.5, nullEntities: 0.2, fails: 0 },
  { nulls: 0, throws: 0, corrupts: 0, nullEntities: 0, fails: 0.5 },
  { nulls: 0, throws: 0, corrupts: 0, nullEntities: 0, fails: 0, typenames: 0.3 },
  { nulls: 0.1, throws: 0, corrupts: 0, nullEntities: 0, fails: 0, typenames: 0.7 },
];

/** A number in [0, 1) decided by the words given: the same words, the same number, in every run. */
function chance(...words: unknown[]): number {
  return createHash("sha256").update(JSON.stringify(words)).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * Subgraphs built from their own SDL that answer any fetch with values generated from the fetch's
 * text, its variables and the scenario, so two gateways over them are answered the same; and
 * remember every call, in order, for comparing what each gateway asked.
 */
export function generatedSubgraphs(sdls: Record<string, string>) {
  const schemas = new Map<string, GraphQLSchema>(
    Object.entries(sdls).map(([name, sdl]) => {
      const schema = buildSubgraphSchema({ typeDefs: parse(sdl) });
      // Entities as the representations say, some answered null (the context decides which).
      const entities = schema.getQueryType()?.getFields()._entities;
      if (entities) {
        entities.resolve = (_source, args: { representations: { __typename: string }[] }, context: { nullEntity(index: number): boolean }) =>
          args.representations.map((representation, index) => (context.nullEntity(index) ? null : { ...representation }));
      }
      return [name, schema];
    }),
  );
  const documents = new Map<string, DocumentNode>();
  const state = { scenario: 0, salt: 0, asked: [] as { subgraph: string; query: string; variables: string }[] };

  const build = ({ name }: { name: string }): GraphQLDataSource => ({
    async process({ request }) {
      const schema = schemas.get(name)!;
      const query = request.query!;
      const variables = (request.variables ?? {}) as Record<string, unknown>;
      state.asked.push({ subgraph: name, query, variables: JSON.stringify(variables) });
      const misbehaviour = SCENARIOS[state.scenario]!;
      const seed = [state.scenario, state.salt, name, query, variables];
      const failing = chance("fails", ...seed);
      if (failing < misbehaviour.fails / 2) throw new Error(`${name} is unreachable`);
      if (failing < misbehaviour.fails) return { errors: [{ message: `${name} refused`, extensions: { code: "SERVICE_UNAVAILABLE" } }] };
      let document = documents.get(query);
      if (!document) documents.set(query, (document = parse(query)));
      const fieldResolver: GraphQLFieldResolver<unknown, unknown> = (source, _args, _context, info) => {
        const at = [...seed, pathOf(info.path)];
        const parent = source as Record<string, unknown>;
        // What the gateway sent in a representation (keys, required fields) is answered back.
        if (parent && Object.prototype.hasOwnProperty.call(parent, info.fieldName) && info.fieldName !== "__typename") return parent[info.fieldName];
        const roll = chance("field", ...at);
        if (roll < misbehaviour.throws) {
          throw roll < misbehaviour.throws / 2 ? new GraphQLError(`${info.fieldName} failed`, { extensions: { code: "NOT_FOUND" } }) : new Error(`${info.fieldName} broke`);
        }
        if (!isNonNullType(info.returnType) && chance("null", ...at) < misbehaviour.nulls) return null;
        return generate(info.returnType, at);
      };
      const typeResolver: GraphQLTypeResolver<unknown, unknown> = (value, _context, info, abstractType) => {
        const typename = (value as { __typename?: string })?.__typename;
        if (typename) return typename;
        const possible = info.schema.getPossibleTypes(abstractType);
        return possible[Math.floor(chance("type", ...seed, pathOf(info.path)) * possible.length)]!.name;
      };
      const result = await execute({
        schema,
        document,
        variableValues: variables,
        fieldResolver,
        typeResolver,
        contextValue: { nullEntity: (index: number) => chance("entity", ...seed, index) < misbehaviour.nullEntities },
      });
      const answer = JSON.parse(JSON.stringify(result)) as { data?: Record<string, unknown> | null; errors?: unknown[] };
      if (answer.data && chance("corrupt", ...seed) < misbehaviour.corrupts) corrupt(answer.data, seed);
      if (answer.data && misbehaviour.typenames) misnameTypes(answer.data, misbehaviour.typenames, seed, Object.keys(schemas.get(name)!.getTypeMap()));
      return answer as never;
    },
  });
  return { state, build };
}

function pathOf(path: { prev: unknown; key: string | number } | undefined): string {
  const keys: (string | number)[] = [];
  for (let at = path as { prev: unknown; key: string | number } | undefined; at; at = at.prev as typeof at) keys.unshift(at.key);
  return keys.join(".");
}

/** A value of `type`: leaves from the seed, an object for the resolver to fill, 0 to 2 list elements. */
function generate(type: import("graphql").GraphQLOutputType, at: unknown[]): unknown {
  const nullable = getNullableType(type);
  if (isListType(nullable)) {
    const length = Math.floor(chance("length", ...at) * 3);
    return Array.from({ length }, (_, index) => generate(nullable.ofType, [...at, index]));
  }
  if (isLeafType(nullable)) return leaf(nullable.name, isEnumType(nullable) ? nullable.getValues().map((value) => value.value) : undefined, at);
  return {};
}

function leaf(typeName: string, enumValues: unknown[] | undefined, at: unknown[]): unknown {
  const roll = chance("leaf", ...at);
  if (enumValues) return enumValues[Math.floor(roll * enumValues.length)];
  switch (typeName) {
    case "Int":
      return Math.floor(roll * 1000);
    case "Float":
      return Math.round(roll * 100_000) / 100;
    case "Boolean":
      return roll < 0.5;
    default:
      return `${typeName.toLowerCase()}-${Math.floor(roll * 10_000)}`;
  }
}

/** One misbehaviour a subgraph's own validation would never let out: a wrong value somewhere in the answer. */
function corrupt(data: Record<string, unknown>, seed: unknown[]): void {
  const places: [Record<string, unknown> | unknown[], string | number][] = [];
  const walk = (value: unknown) => {
    if (Array.isArray(value)) value.forEach((element, index) => (places.push([value, index]), walk(element)));
    else if (value && typeof value === "object") for (const key of Object.keys(value)) places.push([value as Record<string, unknown>, key]), walk((value as Record<string, unknown>)[key]);
  };
  walk(data);
  if (places.length === 0) return;
  const [holder, key] = places[Math.floor(chance("where", ...seed) * places.length)]!;
  const how = chance("how", ...seed);
  const target = holder as Record<string | number, unknown>;
  if (key === "__typename") target[key] = how < 0.5 ? "NoSuchType" : "Query";
  else if (how < 0.4) target[key] = null;
  // Left out: from a list, the element goes (a JSON answer cannot hold a hole, which only an
  // answer handed over in-process would, and @apollo/gateway then fails on its own).
  else if (how < 0.6 && Array.isArray(holder)) holder.splice(key as number, 1);
  else if (how < 0.6) delete target[key];
  else if (how < 0.8) target[key] = typeof target[key] === "number" ? "not a number" : 12.5;
  else target[key] = { unexpected: true };
}

/** Misnames the answer's objects: each `__typename` kept, left out, null, or another type's name. */
function misnameTypes(value: unknown, share: number, seed: unknown[], typeNames: string[], at = "") {
  if (Array.isArray(value)) return value.forEach((element, index) => misnameTypes(element, share, seed, typeNames, `${at}.${index}`));
  if (!value || typeof value !== "object") return;
  const object = value as Record<string, unknown>;
  for (const key of Object.keys(object)) misnameTypes(object[key], share, seed, typeNames, `${at}.${key}`);
  if (!("__typename" in object) || chance("misname", ...seed, at) >= share) return;
  const how = chance("misname how", ...seed, at);
  if (how < 0.3) delete object.__typename;
  else if (how < 0.4) object.__typename = null;
  else if (how < 0.5) object.__typename = "NoSuchType";
  else object.__typename = typeNames[Math.floor(chance("misname as", ...seed, at) * typeNames.length)];
}

/** Values for an operation's variables: every required one, and the optional ones when `optional` says so. */
export function variablesFor(schema: GraphQLSchema, definitions: readonly VariableDefinitionNode[] | undefined, optional: boolean, seed: unknown[]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const definition of definitions ?? []) {
    const type = typeFromAST(schema, definition.type) as GraphQLInputType | undefined;
    if (!type) continue;
    if (!isNonNullType(type) && !optional) continue;
    values[definition.variable.name.value] = inputValue(type, [...seed, definition.variable.name.value], optional, 0);
  }
  return values;
}

function inputValue(type: GraphQLInputType, at: unknown[], optional: boolean, depth: number): unknown {
  const nullable = getNullableType(type) as GraphQLInputType;
  if (isListType(nullable)) return [inputValue(nullable.ofType, [...at, 0], optional, depth + 1)];
  if (isInputObjectType(nullable)) {
    const object: Record<string, unknown> = {};
    const fields = Object.values(nullable.getFields());
    if (nullable.isOneOf) {
      const field = fields[0]!;
      object[field.name] = inputValue(field.type, [...at, field.name], optional, depth + 1);
      return object;
    }
    for (const field of fields) {
      if (isNonNullType(field.type) || (optional && depth < 3 && field.defaultValue === undefined)) object[field.name] = inputValue(field.type, [...at, field.name], optional, depth + 1);
    }
    return object;
  }
  const named = getNamedType(nullable);
  if (isEnumType(named)) return named.getValues()[0]!.name;
  if (named.name === "Int") return 1 + Math.floor(chance(...at) * 5);
  if (named.name === "Float") return 1.5;
  if (named.name === "Boolean") return chance(...at) < 0.5;
  return `${named.name.toLowerCase()}-${Math.floor(chance(...at) * 100)}`;
}
