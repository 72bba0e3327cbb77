// Every list of the public API has a size the gateway's cost measure can trust: declared with
// @listSize where the list is defined (its real maximum, held where the data is written) or a
// page. A new list without one fails here, and the gateway refuses to start on it.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { getIntrospectionQuery, Kind, parse, type OperationDefinitionNode } from "graphql";
import { Supergraph } from "@apollo/federation-internals";
import { loadConfig, MAX_CART_LINES } from "#kernel";
import { composeSupergraph } from "../schema/compose-supergraph.js";
import { readGoldenOperations, readReleasedOperations } from "../schema/golden-operations.js";
import { SUPERGRAPH_PATH } from "../schema/subgraphs.js";
import { CHARACTERS_PER_COST_POINT, listSizesOf, undeclaredCosts, undeclaredLists } from "../gateway/src/security/list-sizes.js";
import { measureOperation } from "../gateway/src/security/measure-operation.js";
import { createRequestPolicy, PolicyRefusal } from "../gateway/src/security/request-policy.js";
import { createCallerRateLimiter, type CallerRateLimiter } from "../gateway/src/rate-limit/caller-rate-limiter.js";
import type { PersistedOperationCheck } from "../gateway/src/security/persisted-operations.js";
import { VARIANT_LIMITS } from "../subgraphs/products/src/domain/product-variant.validation.js";
import { MAX_ATTRIBUTE_VALUE_LENGTH, MAX_DESCRIPTION_LENGTH } from "../subgraphs/products/src/domain/product.validation.js";
import { CATEGORY_LIMITS } from "../subgraphs/products/src/categories/category.js";
import { MAX_ADDRESSES_PER_USER } from "../subgraphs/accounts/src/domain/address.service.js";
import { MAX_RETURNS_PER_ORDER, MAX_STATUS_CHANGES_PER_ORDER } from "../subgraphs/orders/src/domain/return-rules.js";
import { MAX_REFUNDS_PER_ORDER } from "../subgraphs/orders/src/domain/refund-plan.js";
import { MAX_SHIPPING_CHOICES } from "../subgraphs/cart/src/pricing/pricing-admin.service.js";
import { FACET_LIMITS } from "../subgraphs/search/src/domain/search.service.js";
import { PRICE_RANGES } from "../subgraphs/search/src/domain/price-ranges.js";

const schemasOf = (sdl: string) => {
  const supergraph = Supergraph.build(sdl);
  return { api: supergraph.apiSchema().toGraphQLJSSchema(), declared: supergraph.schema.toGraphQLJSSchema() };
};
const composed = composeSupergraph();
if ("errors" in composed) throw new Error(composed.errors.join("\n"));
const { api, declared } = schemasOf(composed.supergraphSdl);
const sizes = listSizesOf(api, declared);
const config = loadConfig({ APP_ENV: "test" });

const measure = (query: string, variables: Record<string, unknown> = {}) => {
  const document = parse(query);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  return measureOperation(document, operation, variables, sizes);
};

describe("list sizes of the composed supergraph", () => {
  it("declares a size or a page for every list field of the public API", () => {
    assert.deepEqual(undeclaredLists(api, declared), []);
  });

  it("fails for a subgraph list added without a declared size", () => {
    const sdl = readFileSync("subgraphs/products/schema.graphql", "utf8").replace(/(\n {2}brand: String!)/, "$1\n  tags: [String!]!");
    assert.notEqual(sdl, readFileSync("subgraphs/products/schema.graphql", "utf8"), "the test's edit applied");
    const withTags = composeSupergraph(".", { products: sdl });
    if ("errors" in withTags) throw new Error(withTags.errors.join("\n"));
    const schemas = schemasOf(withTags.supergraphSdl);
    assert.deepEqual(undeclaredLists(schemas.api, schemas.declared), [{ type: "Product", field: "tags" }]);
    assert.throws(() => listSizesOf(schemas.api, schemas.declared), /Product\.tags/);
  });

  it("declares the maxima the subgraphs enforce where the data is written", () => {
    const declaredSize = (type: string, field: string) => sizes.field(type, field)?.items;
    assert.equal(declaredSize("Cart", "items"), MAX_CART_LINES);
    assert.equal(declaredSize("CartEstimate", "lines"), MAX_CART_LINES);
    assert.equal(declaredSize("Order", "items"), MAX_CART_LINES);
    assert.equal(declaredSize("Order", "lines"), MAX_CART_LINES);
    assert.equal(declaredSize("Return", "items"), MAX_CART_LINES);
    assert.equal(declaredSize("OrderAddedToCart", "lines"), MAX_CART_LINES);
    assert.ok(config.cart.maxLines <= MAX_CART_LINES);
    assert.equal(declaredSize("Product", "variants"), VARIANT_LIMITS.variants);
    assert.equal(declaredSize("Product", "options"), VARIANT_LIMITS.options);
    assert.equal(declaredSize("ProductVariant", "options"), VARIANT_LIMITS.options);
    assert.equal(declaredSize("ProductOption", "values"), VARIANT_LIMITS.valuesPerOption);
    assert.equal(declaredSize("Category", "children"), CATEGORY_LIMITS.children);
    assert.equal(declaredSize("Query", "categories"), CATEGORY_LIMITS.children);
    assert.equal(declaredSize("Category", "breadcrumbs"), CATEGORY_LIMITS.depth);
    assert.equal(sizes.field("Category", "children")?.treeTotal, CATEGORY_LIMITS.total);
    assert.equal(sizes.field("Query", "categories")?.treeTotal, CATEGORY_LIMITS.total);
    assert.equal(declaredSize("User", "addresses"), MAX_ADDRESSES_PER_USER);
    assert.equal(declaredSize("Order", "returns"), MAX_RETURNS_PER_ORDER);
    assert.equal(declaredSize("Order", "refunds"), MAX_REFUNDS_PER_ORDER);
    assert.equal(declaredSize("Order", "statusHistory"), MAX_STATUS_CHANGES_PER_ORDER);
    assert.equal(declaredSize("Query", "shippingMethods"), MAX_SHIPPING_CHOICES);
    assert.equal(declaredSize("SearchFacets", "categories"), FACET_LIMITS.categories);
    assert.equal(declaredSize("SearchFacets", "brands"), FACET_LIMITS.brands);
    assert.equal(declaredSize("SearchFacets", "options"), FACET_LIMITS.options);
    assert.equal(declaredSize("OptionFacet", "values"), FACET_LIMITS.valuesPerOption);
    assert.equal(declaredSize("SearchFacets", "priceRanges"), PRICE_RANGES.length);
  });

  it("counts a walk down the category tree at most CATEGORY_LIMITS.total a level: every level of it fits the cost limit", () => {
    const levels = (n: number, fields: string): string => (n === 0 ? "" : `children { ${fields} ${levels(n - 1, fields)} }`);
    const fields = "slug name productCount";
    // Four levels with counts: 10, 100, 1,000, then 1,000 (not 10,000) categories.
    const whole = measure(`{ categories { ${fields} ${levels(CATEGORY_LIMITS.depth - 1, fields)} } }`);
    assert.equal(whole.cost, 7_441);
    assert.ok(whole.cost <= config.gateway.limits.maxCost, `${whole.cost} fits MAX_QUERY_COST`);
    // Three levels are as before, and a walk from one category is a walk too.
    assert.equal(measure(`{ categories { ${fields} ${levels(2, fields)} } }`).cost, 3_441);
    const fromOne = measure(`{ category(slug: "home") { ${fields} ${levels(CATEGORY_LIMITS.depth, fields)} } }`).cost;
    assert.ok(fromOne <= config.gateway.limits.maxCost, `${fromOne} fits MAX_QUERY_COST`);
    // Through fragments, as written out.
    const spread = measure(`{ categories { ...L1 } } fragment L1 on Category { ${fields} children { ...L2 } } fragment L2 on Category { ${fields} children { ...L3 } } fragment L3 on Category { ${fields} children { ${fields} } }`);
    assert.equal(spread.cost, whole.cost);
  });

  it("starts the count afresh past any other field: breadcrumbs and parents reach categories again, and each alias walks anew", () => {
    // 1,000 categories at the third level, each with 4 breadcrumbs: 4,000 of them.
    assert.equal(measure(`{ categories { children { children { breadcrumbs { slug } } } } }`).cost, 1 + 10 * (1 + 10 * (1 + 10 * (1 + 4))));
    // 1,000 parents at the fourth level (the same 100 again), each with its 10 children.
    assert.equal(measure(`{ categories { children { children { parent { children { slug } } } } } }`).cost, 1 + 10 * (1 + 10 * (1 + 10 * (1 + (1 + 10)))));
    const twice = measure(`{ a: categories { children { slug } } b: categories { children { slug } } }`).cost;
    assert.equal(twice, 2 * measure(`{ categories { children { slug } } }`).cost);
  });

  it("weighs every @requires field, and fails for one added without a weight", () => {
    assert.deepEqual(undeclaredCosts(api, declared).unweighted, []);
    const original = readFileSync("subgraphs/inventory/schema.graphql", "utf8");
    const sdl = original.replace(/(\n {2}inStock: Boolean! @requires\(fields: "variants \{ id \}"\) @cost\(weight: \d+\))/, '$1\n  "Units held."\n  held: Int! @requires(fields: "variants { id }")');
    assert.notEqual(sdl, original, "the test's edit applied");
    const withHeld = composeSupergraph(".", { inventory: sdl });
    if ("errors" in withHeld) throw new Error(withHeld.errors.join("\n"));
    const schemas = schemasOf(withHeld.supergraphSdl);
    assert.deepEqual(undeclaredCosts(schemas.api, schemas.declared).unweighted, [{ type: "Product", field: "held" }]);
    assert.throws(() => listSizesOf(schemas.api, schemas.declared), /Product\.held/);
  });

  it("weighs Product.stock and inStock as the variants they fetch: what their required selection measures", () => {
    const required = measure(`{ product(id: "p") { variants { id } } }`).cost - 1;
    for (const field of ["stock", "inStock"]) {
      assert.equal(sizes.field("Product", field)?.weight, 1 + VARIANT_LIMITS.variants);
      assert.ok(sizes.field("Product", field)!.weight! >= required, `${field}: the weight covers variants { id } (${required})`);
    }
  });

  it("weighs the texts of a product that may hold hundreds of characters by them, so an answer's size is bounded by its measure", () => {
    assert.equal(sizes.field("Product", "description")?.weight, Math.ceil(MAX_DESCRIPTION_LENGTH / CHARACTERS_PER_COST_POINT));
    assert.equal(sizes.field("ProductAttribute", "value")?.weight, Math.ceil(MAX_ATTRIBUTE_VALUE_LENGTH / CHARACTERS_PER_COST_POINT));
    // 29 aliased descriptions of a page of 100: 14.5 MB at their maximum, now past the limit.
    const aliased = Array.from({ length: 29 }, (_, i) => `d${i}: description`).join(" ");
    assert.ok(measure(`{ products(first: 100) { edges { node { ${aliased} } } } }`).cost > config.gateway.limits.maxCost);
    // A page of 100 cards, each with its description: what a listing shows, within it.
    assert.ok(measure(`{ products(first: 100) { edges { node { id name description } } } }`).cost <= config.gateway.limits.maxCost);
  });

  it("the checked-in supergraph carries the same sizes (the gateway reads that one)", () => {
    const checkedIn = schemasOf(readFileSync(SUPERGRAPH_PATH, "utf8"));
    assert.deepEqual(undeclaredLists(checkedIn.api, checkedIn.declared), []);
  });
});

describe("the cost measure on the real schema", () => {
  it("counts a cart's lines and a product's variants at their maxima: the attack run's queries measure what they can resolve", () => {
    // Measured 187 before (lists counted 5): it resolved 2,098 stock values from a 50-line cart.
    const twoHops = measure(`{ cart { items { product { variants { product { variants { stock } } } } } } }`);
    assert.ok(twoHops.cost >= MAX_CART_LINES * VARIANT_LIMITS.variants ** 2, String(twoHops.cost));
    assert.ok(twoHops.cost > config.gateway.limits.maxCost, "refused at the default limit");
    // One hop: up to 5,000 stock values, measured above them.
    const oneHop = measure(`{ cart { items { product { variants { stock } } } } }`);
    assert.ok(oneHop.cost >= MAX_CART_LINES * VARIANT_LIMITS.variants, String(oneHop.cost));
    // An order's lines likewise.
    assert.ok(measure(`{ order(id: "o") { items { product { variants { stock } } } } }`).cost >= MAX_CART_LINES * VARIANT_LIMITS.variants);
    // The product fan-out of finding 4 (measured about 4,800 before).
    const fanOut = measure(`{ products(first: 14, filter: { categorySlug: "clothing" }) { edges { node { variants { stock product { variants { stock product { variants { stock sku } } } } } } } } }`);
    assert.ok(fanOut.cost > config.gateway.limits.maxCost, String(fanOut.cost));
  });

  it("measures a product's stock as what fetching its variants costs (finding 4: 401 for 100 products, 20,301 written out)", () => {
    const stock = measure(`{ products(first: 100) { edges { node { stock inStock } } } }`);
    const writtenOut = measure(`{ products(first: 100) { edges { node { variants { stock inStock } } } } }`);
    assert.ok(stock.cost >= writtenOut.cost, `${stock.cost} < ${writtenOut.cost}`);
    assert.ok(stock.cost > config.gateway.limits.maxCost, "refused at the default limit");
    assert.equal(measure(`{ product(id: "p") { stock } }`).cost, 1 + 1 + 1 + VARIANT_LIMITS.variants);
  });

  it("weighs a search's total and each facet as a count over every match, so the cost budget bounds how many a caller asks", () => {
    // Found: a search with no words, a price filter and every facet cost the engine 100-230 ms
    // of CPU at 1,000,000 products (7-30 ms a typical search); it measured about as much as a
    // page of hits, and a caller could ask five a second, each with bounds of its own.
    for (const [type, field] of [["SearchResult", "totalCount"], ["SearchFacets", "categories"], ["SearchFacets", "brands"], ["SearchFacets", "priceRanges"], ["SearchFacets", "options"]] as const) {
      assert.equal(sizes.field(type, field)?.weight, 500, `${type}.${field}`);
    }
    const counted = measure(`{ search(query: "", first: 1) { totalCount facets { categories { count } brands { count } priceRanges { count } options { name } } } }`).cost;
    const hits = measure(`{ search(query: "lamp", first: 20) { edges { node { id name } } } }`).cost;
    assert.ok(counted - hits >= 2_500, `${counted} against ${hits}`);
    // Each answered broad search keeps at least its five weights: a minute's budget buys at most 60.
    assert.ok(config.gateway.rateLimitCostPerMinute / 2_500 <= 60);
  });

  it("admits every operation our clients ship, released ones included, under the default cost limit", () => {
    for (const { name, query } of [...readGoldenOperations(), ...readReleasedOperations()]) {
      const { cost } = measure(query);
      assert.ok(cost <= config.gateway.limits.maxCost, `${name} measures ${cost}`);
      // A minute's budget holds many of the heaviest (Cart, 8,409: 50 lines, each product's stock
      // weighing its 100 variants; once answered, settled to what the cart holds).
      assert.ok(cost * 15 <= config.gateway.rateLimitCostPerMinute, `${name} measures ${cost}`);
    }
  });
});

describe("introspection priced by what it returns", () => {
  const allowAll = (async () => ({ allowed: true, retryAfterSeconds: 0 })) as unknown as CallerRateLimiter;
  const policy = createRequestPolicy({
    limits: { ...config.gateway.limits },
    rateLimit: allowAll,
    networkRateLimit: allowAll,
    budgets: { charge: async () => ({ giveBack: async () => {} }) },
    persisted: (() => ({ ok: true })) as unknown as PersistedOperationCheck,
    listSizes: sizes,
  });
  const caller = { key: "ip:192.0.2.1", network: "ip:192.0.2.1", site: undefined };

  it("admits an explorer's full introspection query", async () => {
    const query = getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true, oneOf: true });
    const [admitted] = await policy.admit([{ query }], caller, "http-post");
    assert.equal(admitted!.measure.cost, 0);
    assert.ok(admitted!.measure.introspectionCost > 1_000, String(admitted!.measure.introspectionCost));
  });

  it("refuses 30 aliased readings of every type (admitted for free before: 2 MB an operation)", async () => {
    const ref = `fragment R on __Type { name kind ofType { name kind ofType { name kind ofType { name kind } } } }`;
    const type = `fragment T on __Type { name fields(includeDeprecated: true) { name args { name type { ...R } } type { ...R } } inputFields { name type { ...R } } enumValues { name } }`;
    const query = `{ ${Array.from({ length: 30 }, (_, i) => `s${i}: __schema { types { ...T } }`).join(" ")} } ${ref} ${type}`;
    const refused = await policy.admit([{ query }], caller, "http-post").then(
      () => assert.fail("admitted"),
      (error: unknown) => error,
    );
    assert.ok(refused instanceof PolicyRefusal);
    assert.equal(refused.code, "QUERY_TOO_COMPLEX");
    assert.equal(typeof refused.extensions.introspectionCost, "number");
  });
});

describe("the cost budget settled on the real schema (attack run 3, finding 1)", () => {
  const allowAll = (async () => ({ allowed: true, retryAfterSeconds: 0 })) as unknown as CallerRateLimiter;
  const budget = 20_000;
  const policy = () =>
    createRequestPolicy({
      limits: { ...config.gateway.limits },
      rateLimit: allowAll,
      networkRateLimit: allowAll,
      // A network's guests share a pool of the network's ceiling: here as large as one caller's budget.
      costRateLimit: { perMinute: budget, perCaller: createCallerRateLimiter({ pointsPerMinute: budget }), perNetwork: createCallerRateLimiter({ pointsPerMinute: budget }) },
      budgets: { charge: async () => ({ giveBack: async () => {} }) },
      persisted: (() => ({ ok: true })) as unknown as PersistedOperationCheck,
      listSizes: sizes,
    });
  const guests = { key: "ip:192.0.2.9", network: "ip:192.0.2.9", site: undefined };
  const ATTACK = `{ a: product(id: "nope-a") { variants { images { url } options { name value } } } b: product(id: "nope-b") { variants { images { url } options { name value } } } c: product(id: "nope-c") { variants { images { url } options { name value } } } }`;
  /** A batch measured at exactly `points`: pages of ids (1 + 3 a product) topped up with `__typename`s. */
  function costingExactly(points: number) {
    const batch: { query: string }[] = [];
    let left = points;
    while (left > 3) {
      const page = Math.min(3_300, Math.floor((left - 1) / 3));
      batch.push({ query: `{ products(first: ${page}) { edges { node { id } } } }` });
      left -= 1 + 3 * page;
    }
    for (; left > 0; left--) batch.push({ query: `{ __typename }` });
    assert.equal(batch.reduce((sum, { query }) => sum + measure(query).cost, 0), points);
    return batch;
  }
  /** Asserts exactly `points` are left of the guests' budget: that much is admitted, then nothing. */
  async function assertLeft(p: ReturnType<typeof policy>, points: number) {
    await p.admit(costingExactly(points), guests, "http-post");
    await assert.rejects(p.admit([{ query: `{ __typename }` }], guests, "http-post"), (e: unknown) => e instanceof PolicyRefusal && e.extensions.budget === "cost");
  }

  it("charges products that do not exist what their nulls cost, and existing ones what they returned", async () => {
    const p = policy();
    const measured = measure(ATTACK).cost;
    assert.ok(measured * 3 > budget, `three of the attack's requests (${measured} each) spent the whole budget before`);
    for (let i = 0; i < 20; i++) {
      const [asked] = await p.admit([{ query: ATTACK }], guests, "http-post");
      await p.settle(asked!, asked!.charged, { data: { a: null, b: null, c: null } });
    }
    // 20 requests of 3 nulls: 60 spent (the old budget refused the third request).
    await assertLeft(p, budget - 60);
    const existing = policy();
    const found = { variants: [{ images: [{ url: "u1" }, { url: "u2" }], options: [{ name: "Size", value: "M" }] }] };
    const [real] = await existing.admit([{ query: ATTACK }], guests, "http-post");
    await existing.settle(real!, real!.charged, { data: { a: found, b: found, c: null } });
    // a and b: the product, variants, one variant's images (1 + 2 urls) and options (1 + name and value): 8 each; c its null.
    await assertLeft(existing, budget - 17);
  });
});
