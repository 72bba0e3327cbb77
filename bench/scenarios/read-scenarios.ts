import { isDeepStrictEqual } from "node:util";
import { INTERNAL_HEADER } from "#kernel";
import type { LoadRequest } from "../harness/load-run.js";
import type { TargetName } from "../targets/targets.js";
import { ACCOUNT_PAGE, personalised } from "./personalised-scenario.js";
import { body, dataOf, expectData, firstProductsVariants, rotate, signUpCustomer, type BenchScenario, type ScenarioSetup } from "./scenario.js";

const GATEWAYS: TargetName[] = ["stock", "hive", "ours"];
const CACHED: TargetName[] = ["ours-cached", "ours-cached-2w"];

/** The product page's fields; stock comes from the inventory subgraph (the cross-subgraph part). */
const productFields = (inventory: boolean) => `id name brand category price { amount currency } images { url alt }${inventory ? " stock inStock" : ""}`;
const productQuery = (inventory: boolean) => `query ProductPage($id: ID!) { product(id: $id) { ${productFields(inventory)} } }`;
const listingQuery = (inventory: boolean) => `query Listing($category: String) { products(first: 20, category: $category) { totalCount edges { cursor node { ${productFields(inventory)} } } pageInfo { hasNextPage endCursor } } }`;
const searchText = (inventory: boolean) => `query Search($q: String!) { search(query: $q, first: 10) { totalCount edges { node { ${productFields(inventory)} } } } }`;

/**
 * Every operation text the read scenarios send through a gateway, with and without the inventory
 * subgraph: a storefront sends persisted operations only, so our targets get these in their
 * persisted manifest (planned ahead, answered on the persisted path) as its clients' would be.
 */
export const SCENARIO_OPERATIONS: string[] = [true, false].flatMap((inventory) => [productQuery(inventory), listingQuery(inventory), searchText(inventory)]).concat(ACCOUNT_PAGE);

/** Product pages through a gateway, and (for `direct`) the products subgraph's share of them. */
async function productPages(setup: ScenarioSetup, ids: string[]) {
  const query = productQuery(setup.inventory);
  const viaGateway: LoadRequest[] = [];
  const direct: LoadRequest[] = [];
  for (const id of ids) {
    const data = dataOf(await setup.reference(query, { id }), `product ${id}`);
    if (!data.product) throw new Error(`The reference gateway does not know ${id}`);
    viaGateway.push({ body: body(query, { id }), check: expectData(data, `product ${id}`) });
    const { stock: _stock, inStock: _inStock, ...productOnly } = data.product;
    direct.push({ body: body(productQuery(false), { id }), check: expectData({ product: productOnly }, `product ${id} (direct)`) });
  }
  return {
    checked: `every response equal to the reference gateway's answer for its product (${ids.length} products${setup.inventory ? ", with stock" : ", no inventory subgraph yet: products only"})`,
    requests: (target: TargetName) => {
      if (target !== "direct") return rotate(viaGateway);
      const next = rotate(direct);
      // The direct call carries what the gateway would: a signed credential, fresh (it expires).
      return () => ({ ...next(), headers: { [INTERNAL_HEADER]: setup.internalCredential() } });
    },
  };
}

export const productUncached: BenchScenario = {
  name: "product-uncached",
  description: "product by id with stock, every product of the catalog in turn (gateway response cache off)",
  targets: ["direct", "stock", "stock-pooled", "hive", "apollo-router", "hive-router", "ours-apollo", "ours", "ours-2w"],
  pairs: [["ours", "stock"], ["ours", "hive"], ["ours", "apollo-router"], ["ours", "hive-router"], ["hive-router", "ours"], ["stock-pooled", "stock"], ["ours", "stock-pooled"], ["ours-2w", "ours"], ["direct", "ours"], ["ours", "ours-apollo"]],
  prepare: (setup) => productPages(setup, setup.productIds),
};

export const productHot: BenchScenario = {
  name: "product-hot",
  description: "product by id with stock, 10 popular products (hot)",
  targets: [...GATEWAYS, ...CACHED],
  pairs: [["ours-cached", "stock"], ["ours-cached", "hive"], ["ours-cached", "ours"], ["ours-cached-2w", "ours-cached"], ["ours", "stock"]],
  prepare: (setup) => productPages(setup, setup.productIds.slice(0, 10)),
};

export const listingPage: BenchScenario = {
  name: "listing-page",
  description: "a 20-product listing page with stock: the newest products and 5 category pages",
  targets: [...GATEWAYS, ...CACHED],
  pairs: [["ours-cached", "stock"], ["ours-cached", "hive"], ["ours-cached", "ours"], ["ours-cached-2w", "ours-cached"], ["ours", "stock"]],
  async prepare(setup) {
    const query = listingQuery(setup.inventory);
    const sample = dataOf(await setup.reference(`{ products(first: 100) { edges { node { category } } } }`), "categories");
    const categories = [...new Set(sample.products.edges.map((e: { node: { category: string } }) => e.node.category))].slice(0, 5) as string[];
    const requests: LoadRequest[] = [];
    for (const category of [undefined, ...categories]) {
      const variables = category ? { category } : {};
      const data = dataOf(await setup.reference(query, variables), `listing ${category ?? "newest"}`);
      if (data.products.edges.length === 0) throw new Error(`Listing ${category} is empty`);
      requests.push({ body: body(query, variables), check: expectData(data, `listing ${category ?? "newest"}`) });
    }
    return { checked: `every response equal to the reference gateway's page (${requests.length} pages of 20)`, requests: () => rotate(requests) };
  },
};

export const searchQuery: BenchScenario = {
  name: "search",
  description: "full-text search, 10 hits with price (and stock), 8 different terms",
  targets: [...GATEWAYS, ...CACHED],
  pairs: [["ours-cached", "stock"], ["ours-cached", "hive"], ["ours-cached-2w", "ours-cached"], ["ours", "stock"]],
  async prepare(setup) {
    const query = searchText(setup.inventory);
    const names = dataOf(await setup.reference(`{ products(first: 40) { edges { node { name brand } } } }`), "names");
    const terms = [...new Set(names.products.edges.map((e: { node: { brand: string } }) => e.node.brand.toLowerCase()))].slice(0, 8) as string[];
    // The index is built from the catalog at start: the expected answers are read once it
    // holds every product (an empty query matches them all), not while it is still filling
    // (a term found among the first products indexed ranks other hits once the rest are in).
    const catalog = dataOf(await setup.reference(`{ products(first: 1) { totalCount } }`), "catalog size").products.totalCount as number;
    let indexed = 0;
    for (let attempt = 0; attempt < 120 && indexed < catalog; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 500));
      indexed = dataOf(await setup.reference(`{ search(query: "", first: 1) { totalCount } }`), "search index size").search.totalCount as number;
    }
    if (indexed < catalog) throw new Error(`The search index holds ${indexed} of the catalog's ${catalog} products after 60 s`);
    // Every product in is not every product settled: a document written again after the first
    // pass (its variants, its stock flags) moves the ranking. The expected answers are those two
    // reads half a second apart agree on.
    const answers = async () => {
      const read: Record<string, any>[] = [];
      for (const q of terms) read.push(dataOf(await setup.reference(query, { q }), `search ${q}`));
      return read;
    };
    let settled = await answers();
    for (let attempt = 0; attempt < 60; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const again = await answers();
      if (isDeepStrictEqual(again, settled)) break;
      settled = again;
      if (attempt === 59) throw new Error("The search answers kept changing for 30 s after the index held the catalog");
    }
    const requests: LoadRequest[] = [];
    terms.forEach((q, i) => {
      const data = settled[i]!;
      if (data.search.totalCount === 0) throw new Error(`Search for ${q} found nothing`);
      requests.push({ body: body(query, { q }), check: expectData(data, `search ${q}`) });
    });
    return { checked: `every response equal to the reference gateway's hits (${requests.length} terms)`, requests: () => rotate(requests) };
  },
};

export const callersCart: BenchScenario = {
  name: "cart",
  description: "the caller's cart (per-user data), 20 customers with different carts",
  targets: [...GATEWAYS, "ours-cached"],
  pairs: [["ours", "stock"], ["ours", "hive"], ["ours-cached", "ours"]],
  async prepare(setup) {
    const query = `{ cart { id totalQuantity subtotal { amount currency } items { quantity product { id name } unitPrice { amount currency } lineTotal { amount currency } } } }`;
    // Variants with stock to spare (one per product): a cart line needs its units available.
    const candidates = await firstProductsVariants(setup, 100, setup.inventory);
    const stocked = candidates.flatMap((productVariants) => productVariants.filter((v) => v.stock === undefined || v.stock >= 5).slice(0, 1));
    if (stocked.length < 40) throw new Error(`Only ${stocked.length} of the first 100 products have a variant with 5 units in stock`);
    const requests: LoadRequest[] = [];
    for (let i = 0; i < 20; i++) {
      const { userId: user, token } = await signUpCustomer(setup, `bench-customer-${i}`);
      // Each customer's cart differs from every other's, so an answer served to the wrong
      // caller cannot pass the check.
      for (const [offset, quantity] of [[i, 1 + (i % 3)], [i + 20, 1]] as const) {
        dataOf(await setup.reference(`mutation($v: ID!, $q: Int!) { addToCart(variantId: $v, quantity: $q) { id } }`, { v: stocked[offset]!.id, q: quantity }, token), `addToCart for ${user}`);
      }
      const sameCart = expectData(dataOf(await setup.reference(query, {}, token), `cart of ${user}`), `cart of ${user}`);
      requests.push({
        body: body(query),
        headers: { authorization: `Bearer ${token}` },
        check: (status, raw, headers) => {
          const cacheStatus = headers["x-response-cache"];
          if (cacheStatus === "hit" || cacheStatus === "coalesced") return `cart of ${user} served from the shared cache (${cacheStatus})`;
          return sameCart(status, raw, headers);
        },
      });
    }
    return { checked: "every response equal to ITS caller's cart (20 different carts), and never a cache hit", requests: () => rotate(requests) };
  },
};

export const READ_SCENARIOS: BenchScenario[] = [productUncached, personalised, productHot, listingPage, searchQuery, callersCart];
