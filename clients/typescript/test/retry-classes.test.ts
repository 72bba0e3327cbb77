// Every mutation the clients ship with is sorted into what a lost answer allows: sent again as it
// is (it takes effect once by construction), sent again only under its idempotency key, or
// never sent again. A mutation field that takes an idempotency key is sent with one, so a
// double click or a retry after a timeout cannot create or change twice what was asked once.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { Kind, parse, type FieldNode, type ObjectTypeDefinitionNode, type OperationDefinitionNode } from "graphql";
import { readGoldenOperations } from "../../../schema/golden-operations.js";
import { IDEMPOTENT_MUTATIONS, KEYED_MUTATIONS } from "../src/retry-policy.js";

/** Mutations a lost answer must surface rather than repeat, and why. */
const NEVER_REPEATED: Record<string, string> = {
  LogIn: "each try counts against the log-in throttle",
  CreateGuestCart: "stores nothing: a second cart token costs nothing and is never used",
  CreateImageUpload: "an upload slot that expires unused; the admin asks for another",
  RecordProductView: "a view counted once in 5 minutes: the repeat answers false, not the first answer",
  RequestPasswordReset: "mails a new link each time",
  ResendVerificationEmail: "mails a new link each time",
};

const mutations = readGoldenOperations()
  .flatMap(({ name, query }) => parse(query).definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && d.operation === "mutation").map((operation) => ({ name, operation })));

/** The supergraph's Mutation fields that take an `idempotencyKey` argument. */
const keyedFields = new Set(
  parse(readFileSync("schema/supergraph.graphql", "utf8"))
    .definitions.filter((d): d is ObjectTypeDefinitionNode => d.kind === Kind.OBJECT_TYPE_DEFINITION && d.name.value === "Mutation")
    .flatMap((type) => type.fields ?? [])
    .filter((field) => field.arguments?.some((argument) => argument.name.value === "idempotencyKey"))
    .map((field) => field.name.value),
);

const rootFields = (operation: OperationDefinitionNode): FieldNode[] => operation.selectionSet.selections.filter((s): s is FieldNode => s.kind === Kind.FIELD);

describe("which mutations a client sends again after a lost answer", () => {
  test("the supergraph has keyed mutation fields to check (the parse found them)", () => {
    for (const field of ["checkout", "addToCart", "createShippingMethod", "createProduct"]) assert.ok(keyedFields.has(field), field);
  });

  test("every golden mutation is sorted exactly once: repeated as it is, repeated under its key, or never repeated", () => {
    assert.ok(mutations.length >= 20, `found ${mutations.length} golden mutations`);
    for (const { name } of mutations) {
      const classes = [IDEMPOTENT_MUTATIONS.has(name), KEYED_MUTATIONS.has(name), name in NEVER_REPEATED].filter(Boolean).length;
      assert.equal(classes, 1, `${name} is in ${classes} of the retry classes`);
    }
    const names = new Set(mutations.map((m) => m.name));
    for (const name of [...IDEMPOTENT_MUTATIONS, ...KEYED_MUTATIONS, ...Object.keys(NEVER_REPEATED)]) assert.ok(names.has(name), `${name} is no golden mutation`);
  });

  test("a golden mutation whose field takes an idempotencyKey passes one from its variables, and is repeated only with it", () => {
    const checked: string[] = [];
    for (const { name, operation } of mutations) {
      for (const field of rootFields(operation).filter((f) => keyedFields.has(f.name.value))) {
        checked.push(name);
        const key = field.arguments?.find((argument) => argument.name.value === "idempotencyKey");
        assert.equal(key?.value.kind, Kind.VARIABLE, `${name} sends ${field.name.value} without an idempotencyKey`);
        assert.ok(IDEMPOTENT_MUTATIONS.has(name) || KEYED_MUTATIONS.has(name), `${name} is keyed but never repeated under its key`);
      }
    }
    assert.ok(checked.includes("CreateShippingMethod") && checked.includes("Checkout"), checked.join(", "));
  });

  test("a mutation repeated only under its key declares the key as a variable", () => {
    for (const { name, operation } of mutations.filter((m) => KEYED_MUTATIONS.has(m.name))) {
      assert.ok(
        operation.variableDefinitions?.some((variable) => variable.variable.name.value === "idempotencyKey"),
        `${name} declares no $idempotencyKey`,
      );
    }
  });
});
