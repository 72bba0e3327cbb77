import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, it } from "node:test";
import { describeWithRealEngine } from "#kernel/testing";
import { SearchEngineIndex, type EngineTransport } from "../src/adapters/search-engine-index.js";
import { EmbeddedSuggestions } from "../src/adapters/embedded-suggestions.js";
import { indexDefinition, bulkBody } from "../src/adapters/search-dsl.js";
import { parseSuggestResponse, suggestBody } from "../src/adapters/suggest-dsl.js";
import { suggestionTiers, tierPageBody } from "../src/adapters/suggestion-tiers.js";
import { typedText, type TypedText } from "../src/domain/suggestion-match.js";
import type { IndexChange, SearchDocument } from "../src/ports/search-index.js";

/** A transport over fetch that records every request's method and path. */
function recordingTransport(url: string, log: string[]): EngineTransport {
  return async ({ method, path, body, ndjson, querystring }) => {
    log.push(`${method} ${path}`);
    const query = querystring ? `?${new URLSearchParams(querystring)}` : "";
    const response = await fetch(`${url}${path}${query}`, {
      method,
      headers: { "content-type": ndjson !== undefined ? "application/x-ndjson" : "application/json" },
      body: ndjson ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const answer = (await response.json()) as unknown;
    if (!response.ok && response.status !== 404) throw new Error(`${response.status} ${JSON.stringify(answer)}`);
    return { status: response.status, body: answer };
  };
}

const WORDS = ["Aurora", "Air", "Fryer", "Headphones", "Headlamp", "Wireless", "Trail", "Table", "Lamp", "Camping", "Cast", "Iron", "Skillet", "A", "Pro", "Professional"];

/** Names sold as many products each, mostly at one popularity: the catalog that needs name runs skipped. */
function catalog(): SearchDocument[] {
  let state = 5;
  const next = () => ((state = (state * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
  const names = new Set<string>();
  while (names.size < 70) names.add(Array.from({ length: 2 + Math.floor(next() * 3) }, () => WORDS[Math.floor(next() * WORDS.length)]).join(" "));
  let id = 0;
  return [...names].flatMap((name) =>
    Array.from({ length: 1 + Math.floor(next() * 25) }, () => ({
      id: `prod_${String(++id).padStart(5, "0")}`,
      name,
      description: name,
      category: "home",
      brand: "Acme",
      attributes: [],
      priceAmount: 1_000,
      priceMax: 1_000,
      variants: [{ options: [], price: 1_000 }],
      optionFacets: [],
      currency: "EUR",
      createdAt: 1_700_000_000_000 + id,
      popularity: next() < 0.85 ? 0 : Math.floor(next() * 4),
      version: 1,
    })),
  );
}

function typedTexts(): TypedText[] {
  const texts = new Set<string>();
  for (const word of WORDS.map((w) => w.toLowerCase())) {
    for (let end = 1; end <= word.length; end++) texts.add(word.slice(0, end));
    texts.add(word.replace(/[aeiou]/, "u"));
  }
  for (const text of ["air f", "wireless head", "cast iron sk", "a a", "trail lamp", "pro cam", "headphnes", "table l"]) texts.add(text);
  return [...texts].map(typedText);
}

const upserts = (documents: SearchDocument[]): IndexChange[] => documents.map((document) => ({ kind: "upsert", document }));

describeWithRealEngine({ suite: "Suggestion index", engine: "opensearch", variable: "OPENSEARCH_URL" }, (url) => {
  const base = url.replace(/\/$/, "");
  const alias = `suggest_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const log: string[] = [];
  const index = new SearchEngineIndex("opensearch", recordingTransport(base, log), { alias, retireDelayMs: 100 });
  const documents = catalog();
  const embedded = new EmbeddedSuggestions();
  for (const document of documents) embedded.add(document);

  before(async () => {
    await index.ensureIndex();
    for (let i = 0; i < documents.length; i += 200) await index.apply(upserts(documents.slice(i, i + 200)));
    await index.refresh();
  });
  after(async () => {
    await index.close();
    await fetch(`${base}/${alias}_*`, { method: "DELETE" });
  });

  it("answers every typed text as the scored query over the products and the embedded index do, from the suggestion index alone", async () => {
    for (const typed of typedTexts()) {
      for (const limit of typed.words[0]!.length <= 2 ? [1, 8] : [8]) {
        log.length = 0;
        const suggested = await index.suggestProducts(typed, limit);
        assert.ok(log.length > 0 && log.every((line) => line.startsWith(`POST /${alias}_suggestions/`)), `"${typed.phrase}" read ${log.join(", ")}`);
        const scored = await fetch(`${base}/${alias}/_search`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(suggestBody(typed, limit)) });
        assert.deepEqual(suggested, parseSuggestResponse(await scored.json()), `"${typed.phrase}", first ${limit}, against the product index`);
        assert.deepEqual(suggested, embedded.suggest(typed, limit), `"${typed.phrase}", first ${limit}, against the embedded index`);
      }
    }
  });

  it("keeps the suggestion index in the order a tier page is read in, so the engine may stop after the first hits", async () => {
    const settings = (await (await fetch(`${base}/${alias}_suggestions/_settings`)).json()) as Record<string, { settings: { index: { sort: unknown } } }>;
    assert.deepEqual(Object.values(settings)[0]!.settings.index.sort, { field: ["popularity", "name.raw", "id"], order: ["desc", "asc", "asc"] });
    const [, startingWithA] = suggestionTiers(typedText("a"))!;
    const body = tierPageBody(startingWithA!, 8);
    assert.deepEqual(body.sort, [{ popularity: "desc" }, { "name.raw": "asc" }, { id: "asc" }], "sorted as stored, by no score");
    assert.equal(body.track_total_hits, false, "counting every match would visit every match");
  });

  it("follows renames, sales and deletions in the same writes as the product index", async () => {
    const [first, second] = documents;
    const renamed = { ...first!, name: "Zephyr Quiet Kettle", version: 2 };
    await index.apply([{ kind: "upsert", document: renamed }, { kind: "delete", id: second!.id, version: 2 }]);
    // A late, older change is refused by both indexes alike.
    await index.apply([{ kind: "upsert", document: { ...first!, name: "Zephyr Loud Kettle", version: 1 } }]);
    await index.refresh();
    assert.deepEqual(await index.suggestProducts(typedText("zeph"), 8), [{ productId: first!.id, text: "Zephyr Quiet Kettle", quality: 53, popularity: first!.popularity }]);
    const count = async (suffix: string) => ((await (await fetch(`${base}/${alias}${suffix}/_count`)).json()) as { count: number }).count;
    assert.equal(await count("_suggestions"), await count(""), "one suggestion document per product");
  });
});

describeWithRealEngine({ suite: "Suggestion index upgrade", engine: "opensearch", variable: "OPENSEARCH_URL" }, (url) => {
  const base = url.replace(/\/$/, "");
  it("an index made before suggestion indexes is rebuilt with one, and suggests from the product index meanwhile", { timeout: 60_000 }, async () => {
    const alias = `suggest_up_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
    const log: string[] = [];
    const transport = recordingTransport(base, log);
    const documents = catalog().slice(0, 120);
    try {
      await transport({ method: "PUT", path: `/${alias}_initial`, body: { ...indexDefinition(), aliases: { [alias]: {} } } });
      await transport({ method: "POST", path: "/_bulk", ndjson: bulkBody(upserts(documents), [alias]), querystring: { refresh: "true" } });
      const index = new SearchEngineIndex("opensearch", transport, { alias, retireDelayMs: 100, writeTargetTtlMs: 100 });
      await index.ensureIndex();
      assert.equal(await index.needsRebuild(), true, "no suggestion index beside it: rebuilt");
      log.length = 0;
      const before = await index.suggestProducts(typedText("air"), 8);
      assert.ok(before.length > 0);
      assert.deepEqual(log, [`POST /${alias}/_search`], "meanwhile the product index answers");
      // A live change meanwhile reaches the product index (no suggestion index to write yet).
      await index.apply(upserts([{ ...documents[0]!, version: 2 }]));

      await index.rebuild(
        (async function* () {
          yield documents;
        })(),
      );
      assert.equal(await index.needsRebuild(), false);
      log.length = 0;
      assert.deepEqual(await index.suggestProducts(typedText("air"), 8), before);
      const reads = log.filter((line) => line.includes("search"));
      assert.ok(reads.length > 0 && reads.every((line) => line.startsWith(`POST /${alias}_suggestions/`)), log.join(", "));
      await index.close();
    } finally {
      await fetch(`${base}/${alias}_*`, { method: "DELETE" });
    }
  });
});
