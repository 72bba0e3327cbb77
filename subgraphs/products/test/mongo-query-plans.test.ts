import assert from "node:assert/strict";
import { before, after, describe, it } from "node:test";
import { MongoClient, type Document } from "mongodb";
import { EmbeddedKeyValueStore } from "#kernel";
import { describeWithRealEngine } from "#kernel/testing";
import { generateCatalog } from "../src/catalog/generate-catalog.js";
import { MongoProductStore } from "../src/adapters/mongo-product-store.js";
import { productQueries } from "../src/adapters/mongo-product-queries.js";
import { createProductCache } from "../src/domain/product-cache.js";
import { MongoListingIndex } from "../src/adapters/mongo-listing-index.js";
import { END, listingQueries } from "../src/adapters/mongo-listing-leaves.js";
import { rebuildListings } from "../src/listing/rebuild-listings.js";
import { listingCursor } from "../src/listing/listing-cursor.js";
import { listingFacts, listingKey } from "../src/listing/listing-facts.js";
import { SORT_FIELDS } from "../src/listing/listing-query.js";
import { CategoryTree } from "../src/categories/category.js";
import { DEMO_CATEGORY_TREE } from "../src/categories/demo-category-tree.js";
import { createProductListingService } from "../src/listing/product-listing.service.js";

// Large enough that PostgreSQL's planner prefers an index to reading the table whenever one
// serves the query, so a missing index shows as a sequential scan; kept between runs (loaded
// again only when incomplete), since loading it takes ~15 s.
const SIZE = 50_000;
const DATABASE = "storefront_test";
const COLLECTION = "query_plans_50k";
/** Leaves beside the catalog's, for a leaves table the size of a million products' (see padLeaves). */
const PADDING_LEAVES = 52_000;

/** The plan nodes of FerretDB's explain: PostgreSQL's EXPLAIN of the SQL it sends. */
function planNodes(plan: Document | undefined): string[] {
  if (!plan) return [];
  const name = `${plan["Node Type"]}${plan["Index Name"] ? ` on ${plan["Index Name"]}` : ""}`;
  return [name, ...((plan.Plans as Document[] | undefined) ?? []).flatMap(planNodes)];
}

describeWithRealEngine({ suite: "Catalog query plans", engine: "mongodb", variable: "MONGO_URL" }, (url) => {
  // The first run also builds the sorted listings of the 50k catalog (minutes on a busy machine); later runs reuse them.
  describe("Catalog query plans on FerretDB", { timeout: 900_000 }, () => {
    let client: MongoClient;
    let ferretdb = false;

    before(async () => {
      client = await MongoClient.connect(url);
      ferretdb = (await client.db(DATABASE).command({ buildInfo: 1 })).ferretdbVersion !== undefined;
      if (!ferretdb) return;
      const store = await MongoProductStore.connect(url, { database: DATABASE, collection: COLLECTION });
      try {
        await listSortedOnce(store);
        // Reloaded when incomplete, or written with another listing layout (nothing listed).
        if ((await store.count({})) === SIZE && (await store.list({ first: 1 })).items.length === 1) return await padLeaves();
        await store.drop();
        const fresh = await MongoProductStore.connect(url, { database: DATABASE, collection: COLLECTION });
        const batch = [];
        for (const { product } of generateCatalog({ count: SIZE })) {
          batch.push(product);
          if (batch.length === 1_000) await fresh.insertMany(batch.splice(0), { announce: false });
        }
        await listSortedOnce(fresh, true);
        await fresh.close();
        await padLeaves();
      } finally {
        await store.close();
      }
    });

    /**
     * 50k products make ~2,800 leaves: a table of 30 pages, which PostgreSQL may rightly read
     * whole rather than through an index (it did on a freshly built database). A million
     * products make ~55,000; leaves of a listing no test reads bring the table to that size, so
     * a plan here is the plan at the design's size. Then a VACUUM ANALYZE (FerretDB's
     * `compact`), as autovacuum gives a table in service, so no pending GIN list prices the
     * index up.
     */
    async function padLeaves() {
      const leaves = client.db(DATABASE).collection<{ _id: string; at: string; until: string; entries: never[] }>(`${COLLECTION}_listings`);
      const id = (n: number) => `pad\u0002${String(n).padStart(6, "0")}`;
      if (await leaves.findOne({ _id: id(PADDING_LEAVES - 1) })) return;
      for (let start = 0; start < PADDING_LEAVES; start += 1_000) {
        const docs = Array.from({ length: Math.min(1_000, PADDING_LEAVES - start) }, (_, i) => ({ _id: id(start + i), at: `PADDING|*\u0002${id(start + i)}`, until: `PADDING|*\u0002${id(start + i + 1)}`, entries: [] as never[] }));
        await leaves.insertMany(docs, { ordered: false }).catch((error: { writeErrors?: { code?: number }[] }) => {
          if (!error.writeErrors?.every((each) => each.code === 11000)) throw error;
        });
      }
      await client.db(DATABASE).command({ compact: `${COLLECTION}_listings` });
    }

    /** The sorted listings of the catalog (products(filter, sort)), built once in one pass. */
    async function listSortedOnce(store: MongoProductStore, fresh = false) {
      const listings = await MongoListingIndex.connect(url, { database: DATABASE, collection: COLLECTION });
      try {
        if (fresh) await listings.drop();
        if (await listings.isEmpty()) await rebuildListings({ store, listings, batchSize: SIZE });
      } finally {
        await listings.close();
      }
    }

    after(async () => {
      await client?.close();
    });

    const leaves = `${COLLECTION}_listings`;
    const listingShapes: [string, string, Document][] = [
      ["the first leaf of a sorted listing (first page, ascending)", leaves, listingQueries.leafAt("PRICE|*", "")],
      ["the last leaf of a sorted listing (first page, descending)", leaves, listingQueries.leafUntil("NAME|books", END)],
      ["the next leaf of a sorted listing", leaves, listingQueries.leafAt("POPULARITY|*", "000000000000000\u0001prod_0012345")],
      ["the previous leaf of a sorted listing", leaves, listingQueries.leafUntil("NEWEST|garden", "000001767225600000\u0001prod_0000001")],
      ["a listing's head or a leaf by id", leaves, listingQueries.byId("head\u0002PRICE|*")],
      ["a product's listing record", `${COLLECTION}_listed`, { _id: "prod_0031337" }],
    ];
    for (const [name, collection, filter] of listingShapes) {
      it(`answers ${name} from an index, not a scan`, async (t) => {
        if (!ferretdb) return t.skip("the plan check reads FerretDB's explain (PostgreSQL plans)");
        const explained = await client.db(DATABASE).command({ explain: { find: collection, filter }, verbosity: "queryPlanner" });
        assert.equal(explained.filterPushdown, true, "the whole filter reaches PostgreSQL");
        const nodes = planNodes((explained.queryPlanner as Document | undefined)?.Plan as Document | undefined);
        assert.ok(nodes.length > 0, "PostgreSQL returned a plan");
        assert.ok(!nodes.some((node) => node.includes("Seq Scan")), `plan: ${nodes.join(" > ")}`);
      });
    }

    it("serves the first and a deep page of every sort, a parent category and a selective filter in milliseconds", async (t) => {
      if (!ferretdb) return t.skip("sized for FerretDB");
      const store = await MongoProductStore.connect(url, { database: DATABASE, collection: COLLECTION });
      const listings = await MongoListingIndex.connect(url, { database: DATABASE, collection: COLLECTION });
      try {
        const tree = new CategoryTree(DEMO_CATEGORY_TREE);
        const service = createProductListingService({ listings, tree: async () => tree, findByIds: (ids) => store.findByIds(ids), count: (category) => store.count({ category }) });
        const deep = generateCatalog({ count: 1, startAt: 31_337 }).next().value!.product;
        const pages = SORT_FIELDS.flatMap((field) => [
          { sort: { field, direction: "ASC" as const } },
          { sort: { field, direction: "DESC" as const } },
          { sort: { field, direction: "ASC" as const }, after: listingCursor({ field, direction: "ASC" }, listingKey(field, listingFacts(deep, 0))) },
        ]);
        const others = [{ filter: { categorySlug: "leisure" }, sort: { field: "NAME" as const } }, { filter: { inStock: true } }, { filter: { priceMin: 5_000, priceMax: 6_000 }, sort: { field: "PRICE" as const, direction: "DESC" as const } }];
        const records = client.db(DATABASE).collection<{ _id: string }>(`${COLLECTION}_listed`);
        for (const args of [...pages, ...others]) {
          await service.list({ first: 20, ...args });
          // 30 reads by id one after the other, timed in the same moment: a loaded machine slows
          // both sides alike. A page reads a handful of leaves and its 20 products; reading the
          // listing's ~2,700 leaves would take seconds, far past either bound.
          const readsStartedAt = performance.now();
          for (let i = 0; i < 30; i++) await records.findOne({ _id: `prod_${String(31_000 + i).padStart(7, "0")}` });
          const thirtyReadsMs = performance.now() - readsStartedAt;
          const startedAt = performance.now();
          const page = await service.list({ first: 20, ...args });
          const ms = performance.now() - startedAt;
          assert.ok(ms < Math.max(400, 2 * thirtyReadsMs), `${JSON.stringify(args)}: ${ms.toFixed(0)} ms (30 reads by id: ${thirtyReadsMs.toFixed(0)} ms)`);
          if (!("filter" in args && args.filter.inStock)) assert.equal(page.edges.length, 20, JSON.stringify(args));
        }
      } finally {
        await listings.close();
        await store.close();
      }
    });

    const shapes: [string, Document][] = [
      ["a product by id", productQueries.byId("prod_0031337")],
      ["a product by id and version (mark published)", productQueries.byIdAndVersion("prod_0031337", 1)],
      ["a block of the whole catalog's listing", productQueries.listBlock(250)],
      ["a block of a category's listing", productQueries.categoryBlock("books", 20)],
      ["the relay's page of unpublished changes", productQueries.unpublished()],
    ];

    for (const [name, filter] of shapes) {
      it(`answers ${name} from an index, not a scan of ${SIZE.toLocaleString("en")} products`, async (t) => {
        if (!ferretdb) return t.skip("the plan check reads FerretDB's explain (PostgreSQL plans)");
        const explained = await client.db(DATABASE).command({ explain: { find: COLLECTION, filter }, verbosity: "queryPlanner" });
        assert.equal(explained.filterPushdown, true, "the whole filter reaches PostgreSQL");
        const nodes = planNodes((explained.queryPlanner as Document | undefined)?.Plan as Document | undefined);
        assert.ok(nodes.length > 0, "PostgreSQL returned a plan");
        assert.ok(!nodes.some((node) => node.includes("Seq Scan")), `plan: ${nodes.join(" > ")}`);
        assert.ok(nodes.some((node) => node.includes("_gin")), `served by a GIN twin: ${nodes.join(" > ")}`);
      });
    }

    it("fills the hot product cache from a catalog this size: reads by id land well within its fill deadline", async (t) => {
      if (!ferretdb) return t.skip("sized for FerretDB");
      // The issue's run at 1M: every load took longer than the 1 s deadline, so nothing was
      // ever stored and every read went to the catalog.
      const store = await MongoProductStore.connect(url, { database: DATABASE, collection: COLLECTION });
      try {
        const cache = createProductCache({ kv: new EmbeddedKeyValueStore(), ttlMs: 60_000 });
        let loads = 0;
        const load = (ids: readonly string[]) => {
          loads += 1;
          return store.findByIds(ids);
        };
        const ids = Array.from({ length: 20 }, (_, i) => `prod_${String(1 + ((i * 7_919) % SIZE)).padStart(7, "0")}`);
        const startedAt = performance.now();
        assert.equal((await cache.getMany(ids, load)).size, 20);
        // A quarter of the 10 s fill deadline: far from it even on a loaded machine, where the
        // issue's reads (a scan each) missed it every time.
        assert.ok(performance.now() - startedAt < 2_500, "a page's worth of products by id, read and filled");
        assert.equal((await cache.getMany(ids, load)).size, 20);
        assert.equal(loads, 1, "the second read is served by the cache");
      } finally {
        await store.close();
      }
    });

    it("answers 'is the catalog empty' by reading one row, not the collection", async (t) => {
      if (!ferretdb) return t.skip("the plan check reads FerretDB's explain (PostgreSQL plans)");
      const explained = await client.db(DATABASE).command({ explain: { find: COLLECTION, filter: {}, limit: 1 }, verbosity: "queryPlanner" });
      const nodes = planNodes((explained.queryPlanner as Document | undefined)?.Plan as Document | undefined);
      assert.equal(nodes[0], "Limit", `plan: ${nodes.join(" > ")}`);
    });

    it("reads a product, a listing page and a deep listing page in milliseconds", async (t) => {
      if (!ferretdb) return t.skip("sized for FerretDB");
      const store = await MongoProductStore.connect(url, { database: DATABASE, collection: COLLECTION });
      try {
        const timed = async (work: () => Promise<unknown>) => {
          const startedAt = performance.now();
          await work();
          return performance.now() - startedAt;
        };
        // Once untimed: the first read after a bulk load also merges GIN's pending entries.
        await Promise.all([store.findByIds(["prod_0031337"]), store.list({ first: 20 }), store.list({ first: 20, after: { seq: 1_234 } })]);
        // Against a read of the whole collection timed in the same moment (a filter FerretDB
        // cannot push down), so a loaded machine slows both sides alike: each read must stay
        // far below a scan.
        const scanMs = await timed(() => client.db(DATABASE).collection(COLLECTION).find({ description: { $regex: "^never-in-any-description" } }).toArray());
        const reads = {
          "product by id": await timed(() => store.findByIds(["prod_0031337"])),
          "first page": await timed(() => store.list({ first: 20 })),
          "deep page": await timed(() => store.list({ first: 20, after: { seq: 1_234 } })),
          "deep category page": await timed(() => store.list({ first: 20, category: "books", after: { seq: 321 } })),
          "category count": await timed(() => store.count({ category: "books" })),
        };
        for (const [read, ms] of Object.entries(reads)) assert.ok(ms < scanMs / 3, `${read}: ${ms.toFixed(1)} ms against a scan of ${scanMs.toFixed(1)} ms`);
      } finally {
        await store.close();
      }
    });
  });
});
