import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after, before, describe, it } from "node:test";
import { ElasticsearchIndex } from "../src/adapters/elasticsearch-index.js";
import { bulkBody, countsBody, hitsBody, indexMeta, suggestionIndexDefinition } from "../src/adapters/search-dsl.js";
import { suggestionTiers, tierPageBody } from "../src/adapters/suggestion-tiers.js";
import { memberUpdateLines, nameDocumentId } from "../src/adapters/suggestion-names.js";
import { facetValuesBody, suggestBody } from "../src/adapters/suggest-dsl.js";
import { suggestCompletions } from "../src/domain/autocomplete.js";
import { typedText } from "../src/domain/suggestion-match.js";
import { EVERY_COUNT, type SearchRequest } from "../src/ports/search-index.js";
import { judgedCatalog } from "./search-index.contract.js";

interface Recorded {
  method: string;
  url: string;
  contentType: string | undefined;
  accept: string | undefined;
  body: string;
}

/**
 * Elasticsearch 8 cannot run here, so this checks what the binding sends through the real
 * 8.x client to a loopback server that answers like ES 8: the paths, the compatibility
 * headers, and request bodies identical to the shared DSL that OpenSearch passes with.
 */
describe("ElasticsearchIndex requests", () => {
  const requests: Recorded[] = [];
  let server: Server;
  let index: ElasticsearchIndex;
  const responses: Record<string, { status: number; body: unknown }> = {
    "GET /": { status: 200, body: { name: "es", cluster_name: "es", version: { number: "8.19.2", build_flavor: "default" }, tagline: "You Know, for Search" } },
    "GET /_alias/products_building": { status: 404, body: { error: "alias [products_building] missing", status: 404 } },
    "GET /_alias/products_building_names": { status: 404, body: { error: "alias [products_building_names] missing", status: 404 } },
    "GET /_alias/products_building,products_names,products_building_names": {
      status: 404,
      body: { error: "aliases [products_building,products_building_names] missing", status: 404, products_1_names: { aliases: { products_names: {} } } },
    },
    "GET /_alias/products": { status: 200, body: { products_1: { aliases: { products: {} } } } },
    "GET /_alias/products_names": { status: 200, body: { products_1_names: { aliases: { products_names: {} } } } },
    "GET /products_names/_mapping": { status: 200, body: { products_1_names: { mappings: { _meta: suggestionIndexDefinition().mappings._meta } } } },
    "GET /products/_mapping": { status: 200, body: { products_1: { mappings: { _meta: indexMeta() } } } },
    "POST /_bulk?require_alias=true": { status: 200, body: { errors: false, items: [] } },
    "POST /_aliases": { status: 200, body: { acknowledged: true } },
    "POST /products/_msearch": {
      status: 200,
      body: {
        responses: [
          { status: 200, hits: { hits: [{ fields: { "name.raw": ["Pixelon Pro Wireless Headphones"], priceAmount: [4999], currency: ["USD"] }, sort: [12.5, "prod_0000001"] }] } },
          { status: 200, hits: { total: { value: 1, relation: "eq" }, hits: [] }, aggregations: { categories: { buckets: [{ key: "electronics", doc_count: 1 }] }, brands: { buckets: [] }, prices: { buckets: [] } } },
        ],
      },
    },
    "POST /broken/_msearch": {
      status: 200,
      body: { responses: [{ status: 200, hits: { hits: [] } }, { status: 400, error: { type: "illegal_argument_exception", reason: "Text fields are not optimised for aggregations" } }] },
    },
    "POST /products/_search suggest": {
      status: 200,
      body: { hits: { total: { value: 1, relation: "eq" }, hits: [{ _score: null, sort: [3, 120, "Pixelon Pro Wireless Headphones", "prod_0000031"] }] } },
    },
    "POST /products/_search facet values": {
      status: 200,
      body: {
        hits: { total: { value: 600, relation: "eq" }, hits: [] },
        aggregations: { brands: { buckets: [{ key: "Pixelon", doc_count: 9, popularity: { value: 900 } }] }, categories: { buckets: [{ key: "electronics", doc_count: 60, popularity: { value: 0 } }] } },
      },
    },
  };

  /**
   * A bulk answered as the engine does: product writes applied, each member update answered
   * with the member it now holds (a change the member document had not seen, after a name it
   * had), each name update answered as sure.
   */
  const bulkAnswer = (route: string, body: string) => {
    if (!route.startsWith("POST /_bulk")) return undefined;
    const lines = body.trim().split("\n").map((line) => JSON.parse(line));
    const items: unknown[] = [];
    for (let i = 0; i < lines.length; i++) {
      const [action, meta] = Object.entries(lines[i])[0] as [string, { _index: string; _id: string }];
      const concrete = meta._index.replace(/^products(_names)?$/, "products_1$1");
      if (action === "delete") {
        items.push({ delete: { _index: concrete, _id: meta._id, status: 200 } });
        continue;
      }
      const doc = lines[++i];
      const member = doc.script?.params?.version !== undefined && doc.script.params.ops === undefined ? { ...doc.script.params, previous: "Pixelon Old Name" } : undefined;
      items.push({ [action]: { _index: concrete, _id: meta._id, status: 200, ...(action === "update" ? { get: { _source: member ? { member } : { unsure: false } } } : {}) } });
    }
    return { status: 200, body: { errors: false, items } };
  };

  before(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => {
        requests.push({ method: req.method!, url: req.url!, contentType: req.headers["content-type"], accept: req.headers.accept, body });
        // Autocomplete's two reads share the search path; their bodies tell them apart.
        const route = `${req.method} ${req.url}`;
        const kind = body.includes('"collapse"') ? " suggest" : body.includes('"size":0') ? " facet values" : "";
        // Suggestion tiers: the first holds the one product, the others nothing.
        const tiers = route === "POST /products_names/_msearch" && {
          status: 200,
          body: { responses: body.trim().split("\n").filter((_, i) => i % 2 === 1).map((_, t) => ({ status: 200, hits: { hits: t === 0 ? [{ sort: [120, "Pixelon Pro Wireless Headphones", "prod_0000031"] }] : [] } })) },
        };
        const answer = tiers || bulkAnswer(route, body) || (responses[route + kind] ?? responses[route] ?? { status: 500, body: { error: `unexpected ${req.method} ${req.url}` } });
        res.writeHead(answer.status, { "content-type": "application/json", "x-elastic-product": "Elasticsearch" }).end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    index = await ElasticsearchIndex.connect(`http://127.0.0.1:${port}`, { alias: "products" });
  });
  after(async () => {
    await index?.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it("sends live changes as one bulk with external versions, refusing to create indexes", async () => {
    requests.length = 0;
    const [document] = judgedCatalog();
    const changes = [
      { kind: "upsert" as const, document: document! },
      { kind: "delete" as const, id: "prod_gone", version: 4 },
    ];
    await index.apply(changes);
    assert.deepEqual(
      requests.filter((r) => r.url.startsWith("/_alias/")).map((r) => r.url),
      ["/_alias/products_building,products_names,products_building_names"],
      "the write targets are read in one request",
    );
    const [bulk, names] = requests.filter((r) => r.url.startsWith("/_bulk"));
    assert.equal(bulk!.url, "/_bulk?require_alias=true");
    assert.equal(bulk!.body, bulkBody(changes, ["products"]) + changes.flatMap((change) => memberUpdateLines(change, "products_names")).join("\n") + "\n");
    assert.match(bulk!.contentType!, /^application\/vnd\.elasticsearch\+x-ndjson; compatible-with=8$/);
    const actions = bulk!.body.trim().split("\n").map((line) => JSON.parse(line));
    const version = document!.version * 2 ** 32 + document!.popularity;
    assert.deepEqual(actions[0], { index: { _index: "products", _id: document!.id, version, version_type: "external" } });
    assert.deepEqual(actions[2], { delete: { _index: "products", _id: "prod_gone", version: 5 * 2 ** 32 - 1, version_type: "external" } });
    assert.deepEqual(actions[3], { update: { _index: "products_names", _id: `m:${document!.id}`, retry_on_conflict: 5 } });
    assert.deepEqual(actions[4].script.params, { id: document!.id, name: document!.name, popularity: document!.popularity, version }, "a member is the name, the units sold and the version");
    assert.deepEqual(actions[6].script.params, { id: "prod_gone", name: null, popularity: 0, version: 5 * 2 ** 32 - 1 });
    // Step two, to the concrete index the members were written in, through its own alias (an
    // index deleted meanwhile is not created again): the names joined and left.
    const [ownAlias] = requests.filter((r) => r.url === "/_aliases");
    assert.deepEqual(JSON.parse(ownAlias!.body), { actions: [{ add: { index: "products_1_names", alias: "products_1_names_own" } }] }, "the index is given its own alias once");
    assert.ok(names, "the names the members moved between are written next");
    assert.equal(names!.url, "/_bulk?require_alias=true");
    const nameActions = names!.body.trim().split("\n").map((line) => JSON.parse(line));
    const targets = nameActions.filter((_, i) => i % 2 === 0).map((action) => [action.update._index, action.update._id]);
    assert.deepEqual(targets.sort(), [["products_1_names_own", nameDocumentId(document!.name)], ["products_1_names_own", nameDocumentId("Pixelon Old Name")]].sort());
  });

  it("sends the shared DSL's page and counts to the alias as one multi-search and reads hits, cursors and facets back", async () => {
    requests.length = 0;
    const request: SearchRequest = { text: "headphnoes", filter: { categories: ["electronics"], price: { max: 5000 } }, sort: "RELEVANCE", first: 5, after: [13, "prod_0000000"], forgiveTypos: true, counts: EVERY_COUNT };
    const result = await index.search(request);
    const sent = requests.find((r) => r.url === "/products/_msearch")!;
    assert.equal(sent.method, "POST");
    assert.match(sent.contentType!, /^application\/vnd\.elasticsearch\+x-ndjson; compatible-with=8$/);
    const [pageHeader, page, countsHeader, counts] = sent.body.trim().split("\n").map((line) => JSON.parse(line));
    assert.deepEqual([pageHeader, countsHeader], [{}, {}]);
    assert.deepEqual(page, JSON.parse(JSON.stringify(hitsBody(request))));
    assert.deepEqual(counts, JSON.parse(JSON.stringify(countsBody(request))));
    assert.deepEqual(page.search_after, [13, "prod_0000000"]);
    assert.equal(result.totalCount, 1);
    assert.deepEqual([page.stored_fields, page.docvalue_fields], ["_none_", ["name.raw", "priceAmount", "currency"]], "only what a result shows, from doc values");
    assert.deepEqual(result.hits, [{ id: "prod_0000001", name: "Pixelon Pro Wireless Headphones", price: { amount: 4999, currency: "USD" }, sortKey: [12.5, "prod_0000001"] }]);
    assert.deepEqual(result.facets.categories, [{ value: "electronics", count: 1 }]);
  });

  it("fails a search whose counts fail, with the engine's reason, rather than answer it without them", async () => {
    const { port } = server.address() as { port: number };
    const broken = await ElasticsearchIndex.connect(`http://127.0.0.1:${port}`, { alias: "broken" });
    try {
      await assert.rejects(broken.search({ text: "headphones", filter: {}, sort: "RELEVANCE", first: 5, forgiveTypos: false, counts: EVERY_COUNT }), /search failed \(400\): illegal_argument_exception Text fields are not optimised/);
    } finally {
      await broken.close();
    }
  });

  it("sends autocomplete's product query and facet-value aggregation to the alias and reads suggestions back", async () => {
    requests.length = 0;
    const suggestions = await suggestCompletions(index, "pixel hedph", { limit: 5 });
    const sent = requests.filter((r) => r.url === "/products/_search").map((r) => JSON.parse(r.body));
    assert.deepEqual(sent.find((b) => b.collapse), JSON.parse(JSON.stringify(suggestBody(typedText("pixel hedph"), 5))));
    assert.deepEqual(sent.find((b) => b.size === 0), JSON.parse(JSON.stringify(facetValuesBody())));
    assert.deepEqual(suggestions, [{ kind: "PRODUCT", text: "Pixelon Pro Wireless Headphones", productId: "prod_0000031" }]);
  });

  it("once it has seen the suggestion index, reads autocomplete's tiers from it as one multi-search", async () => {
    const { port } = server.address() as { port: number };
    const current = await ElasticsearchIndex.connect(`http://127.0.0.1:${port}`, { alias: "products" });
    try {
      await current.ensureIndex();
      requests.length = 0;
      const suggestions = await suggestCompletions(current, "pixel hedph", { limit: 5, kinds: ["PRODUCT"] });
      assert.deepEqual(requests.map((r) => `${r.method} ${r.url}`), ["POST /products_names/_msearch"]);
      const bodies = requests[0]!.body.trim().split("\n").filter((_, i) => i % 2 === 1).map((line) => JSON.parse(line));
      assert.deepEqual(bodies, JSON.parse(JSON.stringify(suggestionTiers(typedText("pixel hedph"))!.map((tier) => tierPageBody(tier, 5)))));
      assert.deepEqual(suggestions, [{ kind: "PRODUCT", text: "Pixelon Pro Wireless Headphones", productId: "prod_0000031" }]);
    } finally {
      await current.close();
    }
  });
});
