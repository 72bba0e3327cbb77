import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { engineSuiteTitle } from "#kernel/testing";
import { generateCatalog } from "../../products/src/catalog/generate-catalog.js";
import { toSearchDocument } from "../src/domain/search-document.js";
import { inPriceRange, PRICE_RANGES } from "../src/domain/price-ranges.js";
import { EVERY_COUNT, type FacetName, type IndexChange, type SearchDocument, type SearchHits, type SearchIndex, type SearchRequest } from "../src/ports/search-index.js";
import { JUDGED_CATALOG_SIZE, JUDGED_QUERIES, judgedPopularity, type Judgment } from "./judged-queries.js";
import { defineAutocompleteChecks } from "./autocomplete.contract.js";
import { defineVariantFacetChecks } from "./variant-facets.contract.js";
import { defineRelevancePagingChecks } from "./relevance-paging.contract.js";
import { suggestCompletions } from "../src/domain/autocomplete.js";
import { searchAsTyped } from "../src/domain/search-as-typed.js";

export const judgedCatalog = (): SearchDocument[] =>
  [...generateCatalog({ count: JUDGED_CATALOG_SIZE })].map((g) => toSearchDocument({ ...g.product, popularity: judgedPopularity(g.product) }));

const request = (partial: Partial<SearchRequest>): SearchRequest => ({ text: "", filter: {}, sort: "RELEVANCE", first: 20, forgiveTypos: false, counts: EVERY_COUNT, ...partial });
const upserts = (documents: SearchDocument[]): IndexChange[] => documents.map((document) => ({ kind: "upsert", document }));

async function* pages<T>(items: T[], size: number): AsyncIterable<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/** Checks one judgment against an index loaded with the judged catalog; throws on a miss. */
export async function checkJudgment(index: SearchIndex, judgment: Judgment, catalog: Map<string, SearchDocument>): Promise<void> {
  const { text, filter = {}, sort = "RELEVANCE", first = 10 } = judgment.request;
  const result = await searchAsTyped(index, { text, filter, sort, first, counts: EVERY_COUNT });
  const ids = result.hits.map((h) => h.id);
  assert.equal(result.typosForgiven, judgment.typosForgiven ?? false, judgment.typosForgiven ? "nothing matches as typed" : "words as typed match");
  const shown = () => ids.map((id) => `${id} ${catalog.get(id)?.name}`).join(", ");
  if (judgment.top) assert.deepEqual(ids.slice(0, judgment.top.length), judgment.top, `top hits were ${shown()}`);
  if (judgment.topSet) assert.deepEqual(ids.slice(0, judgment.topSet.length).sort(), [...judgment.topSet].sort(), `top hits were ${shown()}`);
  if (judgment.total !== undefined) assert.equal(result.totalCount, judgment.total, `hits were ${shown()}`);
  for (const id of ids) {
    const hit = catalog.get(id)!;
    const every = judgment.every ?? {};
    if (every.category) assert.equal(hit.category, every.category, `${id} ${hit.name}`);
    if (every.brand) assert.equal(hit.brand, every.brand, `${id} ${hit.name}`);
    if (every.nameIncludes) assert.ok(hit.name.includes(every.nameIncludes), `${id} ${hit.name} lacks ${every.nameIncludes}`);
    if (every.priceBelow !== undefined) assert.ok(hit.priceAmount < every.priceBelow, `${id} costs ${hit.priceAmount}`);
    // A price filter matches a product by any variant's price.
    if (every.priceFrom !== undefined) assert.ok(hit.priceMax >= every.priceFrom, `${id} costs at most ${hit.priceMax}`);
  }
  for (const [facet, expected] of Object.entries(judgment.facets ?? {})) {
    const counts = new Map(result.facets[facet as "categories" | "brands"].map((f) => [f.value, f.count]));
    for (const [value, count] of expected) assert.equal(counts.get(value), count, `${facet} facet ${value}`);
  }
}

/**
 * The guarantees of the `SearchIndex` port, checked against one adapter, and the judged
 * query set. `create` returns a new, empty index; its `close` drops what the suite created.
 */
export function defineSearchIndexContract(engine: string, create: () => Promise<SearchIndex>): void {
  describe(engineSuiteTitle("SearchIndex contract", engine), { timeout: 120_000 }, () => {
    const documents = judgedCatalog();
    const catalog = new Map(documents.map((d) => [d.id, d]));
    let index: SearchIndex;

    before(async () => {
      index = await create();
      await index.ensureIndex();
      await index.apply(upserts(documents));
      await index.refresh();
    });
    after(async () => {
      await index?.close();
    });

    describe("judged queries", () => {
      for (const judgment of JUDGED_QUERIES) it(judgment.name, () => checkJudgment(index, judgment, catalog));
    });

    it("finds a product by its SKU or a variant's, in any case", async () => {
      const products = [...generateCatalog({ count: JUDGED_CATALOG_SIZE })].map((g) => g.product);
      const varied = products.find((product) => product.variants.length > 1)!;
      for (const [sku, id] of [[products[0]!.sku, products[0]!.id], [products[0]!.sku.toLowerCase(), products[0]!.id], [varied.variants.at(-1)!.sku, varied.id]] as const) {
        const result = await index.search(request({ text: sku, first: 3 }));
        assert.equal(result.hits[0]?.id, id, `${sku} finds ${id}`);
      }
    });

    it("folds a word typed in full-width forms or with ß as the engines' ASCII folding does", async () => {
      const words = documents.flatMap((d) => d.name.split(/\s+/)).filter((word) => /^[A-Za-z]{5,}$/.test(word));
      const plain = words[0]!;
      const withDoubleS = words.find((word) => word.includes("ss"))!;
      const fullWidth = (word: string) => [...word].map((char) => String.fromCharCode(char.charCodeAt(0) + 0xfee0)).join("");
      const ids = async (text: string) => (await index.search(request({ text, first: 50 }))).hits.map((hit) => hit.id);
      for (const [typed, meant] of [[fullWidth(plain), plain], [withDoubleS.replace("ss", "ß"), withDoubleS]] as const) {
        const expected = await ids(meant);
        assert.ok(expected.length > 0, `${meant} finds products`);
        assert.deepEqual(await ids(typed), expected, `${typed} finds what ${meant} finds`);
      }
    });

    it("counts facets over all matches, not just the page", async () => {
      const result = await index.search(request({ text: "", filter: { brands: ["Voltix", "Sonora"] }, first: 1 }));
      const matches = documents.filter((d) => d.brand === "Voltix" || d.brand === "Sonora");
      assert.equal(result.totalCount, matches.length);
      assert.deepEqual(
        result.facets.brands.map((f) => [f.value, f.count]).sort(),
        [["Sonora", matches.filter((d) => d.brand === "Sonora").length], ["Voltix", matches.filter((d) => d.brand === "Voltix").length]].sort(),
      );
      assert.deepEqual(result.facets.categories, [{ value: "electronics", count: matches.length }]);
      assert.deepEqual(
        result.facets.priceRanges,
        PRICE_RANGES.map((range) => ({ ...range, count: matches.filter((d) => d.variants.some((v) => inPriceRange(v.price, range))).length })),
      );
    });

    it("makes only the counts asked for, with the same hits and the same counts as when all are made", async () => {
      const ask = (total: boolean, ...facets: FacetName[]) => ({ total, facets: new Set(facets) });
      const all = await index.search(request({ text: "wireless", first: 5 }));
      const none = await index.search(request({ text: "wireless", first: 5, counts: ask(false) }));
      assert.equal(none.totalCount, null);
      assert.equal(none.anyMatch, true);
      assert.deepEqual(none.facets, { categories: [], brands: [], priceRanges: [], options: [] });
      assert.deepEqual([none.hits, none.hasNextPage], [all.hits, all.hasNextPage], "the page is the same");
      const some = await index.search(request({ text: "wireless", first: 5, counts: ask(true, "brands", "priceRanges") }));
      assert.deepEqual(
        { total: some.totalCount, brands: some.facets.brands, prices: some.facets.priceRanges, categories: some.facets.categories, options: some.facets.options },
        { total: all.totalCount, brands: all.facets.brands, prices: all.facets.priceRanges, categories: [], options: [] },
      );
    });

    describe("counts past a cap", () => {
      const capped = (text: string, exactUpTo: number, total = true) => request({ text, first: 5, counts: { ...EVERY_COUNT, total, exactUpTo } });
      const countsOf = (facets: SearchHits["facets"]) => [
        ...facets.categories.map((f) => [`category ${f.value}`, f.count] as const),
        ...facets.brands.map((f) => [`brand ${f.value}`, f.count] as const),
        ...facets.priceRanges.map((f) => [`price ${f.min}-${f.max}`, f.count] as const),
        ...facets.options.flatMap((o) => o.values.map((f) => [`${o.name} ${f.value}`, f.count] as const)),
      ];

      it("counts exactly, and says so, up to the cap and at it", async () => {
        const truth = await index.search(request({ text: "wireless", first: 5 }));
        assert.equal(truth.countsExact, true);
        const total = truth.totalCount!;
        assert.ok(total > 3, "the query matches several products");
        for (const exactUpTo of [total, total + 1, 10_000]) {
          const result = await index.search(capped("wireless", exactUpTo));
          assert.deepEqual(
            { total: result.totalCount, exact: result.countsExact, facets: result.facets, hits: result.hits },
            { total, exact: true, facets: truth.facets, hits: truth.hits },
            `cap ${exactUpTo}`,
          );
        }
      });

      it("past the cap answers the cap as a lower bound, facet counts never above the truth nor the cap, and the same page", async () => {
        const truth = await index.search(request({ text: "", first: 5 }));
        const exactUpTo = 10;
        assert.ok(truth.totalCount! > exactUpTo);
        const result = await index.search(capped("", exactUpTo));
        assert.deepEqual([result.totalCount, result.countsExact], [exactUpTo, false]);
        assert.deepEqual([result.hits, result.hasNextPage], [truth.hits, truth.hasNextPage], "the page is whole");
        const truthOf = new Map(countsOf(truth.facets));
        const counts = countsOf(result.facets);
        assert.ok(counts.some(([, count]) => count > 0), "some matches are counted");
        for (const [value, count] of counts) {
          assert.ok(count <= truthOf.get(value)!, `${value}: ${count} counted of ${truthOf.get(value)}`);
          assert.ok(count <= exactUpTo, `${value}: ${count} is above the cap`);
        }
        const wireless = (await index.search(request({ text: "wireless" }))).totalCount!;
        const justPast = await index.search(capped("wireless", wireless - 1));
        assert.deepEqual([justPast.totalCount, justPast.countsExact], [wireless - 1, false], "one match past the cap is past it");
      });

      it("says whether facets alone are exact when the total is not asked", async () => {
        const result = await index.search(capped("", 10, false));
        assert.deepEqual([result.totalCount, result.countsExact], [null, false]);
        assert.ok(result.facets.categories.every((f) => f.count <= 10));
      });
    });

    it("knows whether anything matches without counting, on any page: past the last one too", async () => {
      const uncounted = { total: false, facets: new Set<FacetName>() };
      const whole = await index.search(request({ text: "wireless", first: 100 }));
      const last = whole.hits.at(-1)!.sortKey;
      const beyond = await index.search(request({ text: "wireless", first: 5, after: last, counts: uncounted }));
      assert.deepEqual([beyond.hits, beyond.anyMatch], [[], true]);
      const nothing = await index.search(request({ text: "zzqx", counts: uncounted }));
      assert.deepEqual([nothing.hits, nothing.anyMatch, nothing.totalCount], [[], false, null]);
      const filteredOut = await index.search(request({ text: "wireless", filter: { brands: ["No Such Brand"] }, counts: uncounted }));
      assert.equal(filteredOut.anyMatch, false);
    });

    it("answers each hit with the name and lowest variant price it was indexed with", async () => {
      const result = await index.search(request({ text: "", first: 25 }));
      assert.ok(result.hits.length > 0);
      for (const hit of result.hits) {
        const indexed = catalog.get(hit.id)!;
        assert.deepEqual({ name: hit.name, price: hit.price }, { name: indexed.name, price: { amount: indexed.priceAmount, currency: indexed.currency } }, hit.id);
      }
    });

    it("sorts by price both ways and by newest, with the id breaking ties", async () => {
      const garden = documents.filter((d) => d.category === "garden");
      const byId = (a: SearchDocument, b: SearchDocument) => (a.id < b.id ? -1 : 1);
      const expected = {
        PRICE_ASC: [...garden].sort((a, b) => a.priceAmount - b.priceAmount || byId(a, b)),
        PRICE_DESC: [...garden].sort((a, b) => b.priceAmount - a.priceAmount || byId(a, b)),
        NEWEST: [...garden].sort((a, b) => b.createdAt - a.createdAt || byId(a, b)),
      } as const;
      for (const [sort, order] of Object.entries(expected)) {
        const result = await index.search(request({ filter: { categories: ["garden"] }, sort: sort as SearchRequest["sort"], first: 15 }));
        assert.deepEqual(result.hits.map((h) => h.id), order.slice(0, 15).map((d) => d.id), sort);
      }
    });

    it("pages through every match exactly once, in the order of one long page", async () => {
      for (const sort of ["RELEVANCE", "PRICE_DESC", "NEWEST"] as const) {
        const whole = await index.search(request({ text: "pro", sort, first: 100 }));
        const paged: string[] = [];
        let after: SearchRequest["after"];
        for (;;) {
          const page = await index.search(request({ text: "pro", sort, first: 7, after }));
          paged.push(...page.hits.map((h) => h.id));
          if (!page.hasNextPage) break;
          after = page.hits.at(-1)!.sortKey;
        }
        assert.ok(whole.totalCount! > 14, "the query spans several pages");
        assert.deepEqual(paged, whole.hits.map((h) => h.id), sort);
      }
    });

    describe("autocomplete", () => defineAutocompleteChecks(() => index, catalog));
  });

  describe(engineSuiteTitle("SearchIndex contract: equal scores", engine), { timeout: 120_000 }, () => {
    let index: SearchIndex;
    // Thirteen products the words cannot tell apart, written in the reverse of their ids'
    // order, so the engine's own order of equal scores is not the cursors' order.
    const [template] = judgedCatalog();
    const twins = Array.from({ length: 13 }, (_, i) => ({ ...template!, id: `prod_twin_${String(12 - i).padStart(2, "0")}`, name: "Quillfeather Lantern", description: "A lantern." }));

    before(async () => {
      index = await create();
      await index.ensureIndex();
      for (const twin of twins) await index.apply(upserts([twin]));
      await index.refresh();
    });
    after(async () => {
      await index?.close();
    });

    it("pages through tied matches by relevance exactly once, by id, whatever the page size", async () => {
      const ids = twins.map((t) => t.id).sort();
      for (const first of [1, 4, 5, 13]) {
        const paged: string[] = [];
        let after: SearchRequest["after"];
        for (;;) {
          const page = await index.search(request({ text: "lantern", first, after }));
          paged.push(...page.hits.map((h) => h.id));
          assert.equal(page.totalCount, 13);
          if (!page.hasNextPage) break;
          after = page.hits.at(-1)!.sortKey;
        }
        assert.deepEqual(paged, ids, `pages of ${first}`);
      }
    });
  });

  describe(engineSuiteTitle("SearchIndex contract: variants", engine), { timeout: 120_000 }, () => defineVariantFacetChecks(create));

  describe(engineSuiteTitle("SearchIndex contract: relevance and its pages", engine), { timeout: 120_000 }, () => defineRelevancePagingChecks(create));

  describe(engineSuiteTitle("SearchIndex contract: versions and rebuilds", engine), { timeout: 120_000 }, () => {
    let index: SearchIndex;
    const doc = (id: string, version: number, name: string): SearchDocument => ({ ...judgedCatalog()[0]!, id, version, name });

    before(async () => {
      index = await create();
      await index.ensureIndex();
    });
    after(async () => {
      await index?.close();
    });

    const namesOf = async (text: string) => (await index.search(request({ text }))).hits.map((h) => h.id);

    it("matches words as typed unless asked to forgive typos, and the last word's prefix either way", async () => {
      await index.apply(upserts([doc("prod_t1", 1, "Tapir Kettle"), doc("prod_t2", 1, "Taper Kettle")]));
      await index.refresh();
      const found = async (text: string, forgiveTypos: boolean) => (await index.search(request({ text, forgiveTypos }))).hits.map((h) => h.id).sort();
      assert.deepEqual(await found("tapir", false), ["prod_t1"], "the word as typed, not its neighbour one edit away");
      assert.deepEqual(await found("tapir", true), ["prod_t1", "prod_t2"]);
      assert.deepEqual(await found("kettle tap", false), ["prod_t1", "prod_t2"], "a last word still being typed");
      assert.deepEqual(await found("tapir kettel", false), []);
      assert.deepEqual(await found("tapir kettel", true), ["prod_t1", "prod_t2"]);
      await index.apply(["prod_t1", "prod_t2"].map((id) => ({ kind: "delete", id, version: 2 })));
      await index.refresh();
    });

    it("forgives two neighbouring letters swapped as one typo, as it forgives a letter wrong, missing or extra", async () => {
      await index.apply(upserts([doc("prod_x1", 1, "Wombat Lamp"), doc("prod_x2", 1, "Quokka Kettle"), doc("prod_x3", 1, "Numbat Lamb")]));
      await index.refresh();
      const found = async (text: string, forgiveTypos: boolean) => (await index.search(request({ text, forgiveTypos }))).hits.map((h) => h.id).sort();
      assert.deepEqual(await found("lmap wombat", false), [], "as typed, a swap matches nothing");
      assert.deepEqual(await found("wombat lmap", true), ["prod_x1"], "a word of four letters: one swap");
      assert.deepEqual(await found("lmap wombat", true), ["prod_x1"], "the swapped word before another");
      assert.deepEqual(await found("ketlte", true), ["prod_x2"], "a longer word: one swap");
      assert.deepEqual(await found("ketltx", true), ["prod_x2"], "from six letters: a swap and another edit, two in all");
      assert.deepEqual(await found("lmao", true), [], "a word of four letters: a swap and another edit are two, one too many");
      await index.apply(["prod_x1", "prod_x2", "prod_x3"].map((id) => ({ kind: "delete", id, version: 2 })));
      await index.refresh();
    });

    it("matches a lone word of one or two letters as a whole word only; from three letters, or after another word, as a start too", async () => {
      const names = ["Zorbo Tv Bracket", "Zorbo Tvx Speaker", "Zorbo Tvxq Lamp"];
      await index.apply(upserts(names.map((name, i) => doc(`prod_w${i + 1}`, 1, name))));
      await index.refresh();
      const found = async (text: string) => (await index.search(request({ text }))).hits.map((h) => h.id).sort();
      assert.deepEqual(await found("tv"), ["prod_w1"], "two letters alone: the word tv, not every word starting so");
      assert.deepEqual(await found("tvx"), ["prod_w2", "prod_w3"], "three letters: the word and the words starting so");
      assert.deepEqual(await found("zorbo t"), ["prod_w1", "prod_w2", "prod_w3"], "after another word, a start from one letter");
      assert.deepEqual(await found("tv zorbo"), ["prod_w1"], "a word before the last one is whole");
      await index.apply(names.map((_, i) => ({ kind: "delete", id: `prod_w${i + 1}`, version: 2 })));
      await index.refresh();
    });

    it("never lets an older or repeated change overwrite a newer one", async () => {
      await index.apply([{ kind: "upsert", document: doc("prod_v1", 3, "Quokka Lantern") }]);
      await index.apply([{ kind: "upsert", document: doc("prod_v1", 2, "Wombat Lantern") }]);
      await index.apply([{ kind: "upsert", document: doc("prod_v1", 3, "Wombat Lantern") }]);
      await index.refresh();
      assert.deepEqual(await namesOf("quokka"), ["prod_v1"]);
      assert.deepEqual(await namesOf("wombat"), []);
    });

    it("keeps a deleted product deleted when an older upsert arrives late", async () => {
      await index.apply([{ kind: "upsert", document: doc("prod_v2", 1, "Pangolin Kettle") }]);
      await index.apply([{ kind: "delete", id: "prod_v2", version: 2 }]);
      await index.apply([{ kind: "upsert", document: doc("prod_v2", 1, "Pangolin Kettle") }]);
      await index.refresh();
      assert.deepEqual(await namesOf("pangolin"), []);
      await index.apply([{ kind: "delete", id: "prod_never_indexed", version: 1 }]);
    });

    it("ranks equally good suggestions by units sold and follows changes to names, brands and sales", async () => {
      const lamp = (id: string, version: number, name: string, brand: string, popularity: number): SearchDocument => ({ ...doc(id, version, name), brand, popularity });
      await index.apply([
        { kind: "upsert", document: lamp("prod_s1", 1, "Okapi Glow Lamp", "Okapi Works", 5) },
        { kind: "upsert", document: lamp("prod_s2", 1, "Okapi Beam Lamp", "Okapi Works", 40) },
      ]);
      await index.refresh();
      const suggested = async () => (await suggestCompletions(index, "okapi", { limit: 5 })).map((s) => (s.kind === "PRODUCT" ? s.productId : `${s.kind}:${s.text}`));
      assert.deepEqual(await suggested(), ["BRAND:Okapi Works", "prod_s2", "prod_s1"]);
      await index.apply([{ kind: "upsert", document: lamp("prod_s1", 2, "Okapi Glow Lamp", "Okapi Works", 90) }]);
      await index.refresh();
      assert.deepEqual(await suggested(), ["BRAND:Okapi Works", "prod_s1", "prod_s2"], "a sale moves a product up");
      await index.apply([
        { kind: "upsert", document: lamp("prod_s1", 3, "Wombat Glow Lamp", "Wombat Co", 90) },
        { kind: "delete", id: "prod_s2", version: 2 },
      ]);
      await index.refresh();
      assert.deepEqual(await suggested(), [], "a renamed and a deleted product, and a brand with no products left, are no longer suggested");
    });

    it("takes a re-announcement of the same version with more sales, and never one with fewer", async () => {
      const lamp = (id: string, version: number, popularity: number): SearchDocument => ({ ...doc(id, version, `Tapir ${id.slice(-2)} Lamp`), brand: "Tapir", popularity });
      const suggested = async () => (await suggestCompletions(index, "tapir", { limit: 5, kinds: ["PRODUCT"] })).map((s) => (s.kind === "PRODUCT" ? s.productId : s.text));
      await index.apply([
        { kind: "upsert", document: lamp("prod_pa", 4, 10) },
        { kind: "upsert", document: lamp("prod_pb", 9, 20) },
      ]);
      await index.refresh();
      assert.deepEqual(await suggested(), ["prod_pb", "prod_pa"]);
      // Sales announced again at the catalog version the product already has.
      await index.apply([{ kind: "upsert", document: lamp("prod_pa", 4, 35) }]);
      await index.refresh();
      assert.deepEqual(await suggested(), ["prod_pa", "prod_pb"], "the same version with more units sold is newer");
      // A redelivered older announcement of that version changes nothing.
      await index.apply([{ kind: "upsert", document: lamp("prod_pa", 4, 10) }]);
      await index.refresh();
      assert.deepEqual(await suggested(), ["prod_pa", "prod_pb"], "the same version with fewer units sold is older");
      // A catalog write wins over any popularity of an earlier version, and a deletion over its version's announcements.
      await index.apply([{ kind: "upsert", document: { ...lamp("prod_pa", 5, 0), name: "Tapir Renamed Lamp" } }]);
      await index.apply([{ kind: "upsert", document: lamp("prod_pa", 4, 999) }]);
      await index.apply([{ kind: "delete", id: "prod_pb", version: 10 }]);
      await index.apply([{ kind: "upsert", document: lamp("prod_pb", 10, 999) }]);
      await index.refresh();
      assert.deepEqual(await namesOf("renamed"), ["prod_pa"]);
      assert.deepEqual(await suggested(), ["prod_pa"]);
    });

    it("rebuilds from the catalog while searches answer and live changes land in the new index", async () => {
      const catalog = judgedCatalog();
      await index.apply(upserts(catalog.slice(0, 100)));
      await index.refresh();
      const live = doc("prod_0000001", 7, "Narwhal Headphones");
      let searchesDuringRebuild = 0;
      let failed: unknown;
      let rebuilding = true;
      const searching = (async () => {
        while (rebuilding) {
          await index.search(request({ text: "headphones" })).catch((error: unknown) => (failed = error));
          searchesDuringRebuild += 1;
        }
      })();
      let appliedLive = false;
      const { indexed } = await index.rebuild(
        (async function* () {
          for await (const page of pages(catalog, 150)) {
            yield page;
            // A live change made mid-scan, after this product's page was read.
            if (!appliedLive) {
              appliedLive = true;
              await index.apply([{ kind: "upsert", document: live }]);
            }
          }
        })(),
      );
      rebuilding = false;
      await searching;
      await index.refresh();
      assert.equal(failed, undefined);
      assert.ok(searchesDuringRebuild > 0);
      assert.equal(indexed, catalog.length);
      assert.equal(await index.count(), catalog.length, "the rebuilt index holds the whole catalog and nothing else");
      assert.deepEqual(await namesOf("narwhal"), ["prod_0000001"]);
      assert.deepEqual(await namesOf("quokka"), [], "documents not in the catalog are gone");
    });
  });
}
