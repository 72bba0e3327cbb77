import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, it } from "node:test";
import { describeWithRealEngine } from "#kernel/testing";
import { SearchEngineIndex, type EngineTransport } from "../src/adapters/search-engine-index.js";
import { EmbeddedSuggestions } from "../src/adapters/embedded-suggestions.js";
import { indexDefinition, bulkBody, suggestionIndexDefinition } from "../src/adapters/search-dsl.js";
import { memberUpdateLines, nameUpdates } from "../src/adapters/suggestion-names.js";
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
        assert.ok(log.length > 0 && log.every((line) => line.startsWith(`POST /${alias}_names/`)), `"${typed.phrase}" read ${log.join(", ")}`);
        const scored = await fetch(`${base}/${alias}/_search`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(suggestBody(typed, limit)) });
        assert.deepEqual(suggested, parseSuggestResponse(await scored.json()), `"${typed.phrase}", first ${limit}, against the product index`);
        assert.deepEqual(suggested, embedded.suggest(typed, limit), `"${typed.phrase}", first ${limit}, against the embedded index`);
      }
    }
  });

  it("keeps the suggestion index in the order a tier page is read in, so the engine may stop after the first hits", async () => {
    const settings = (await (await fetch(`${base}/${alias}_names/_settings`)).json()) as Record<string, { settings: { index: { sort: unknown } } }>;
    assert.deepEqual(Object.values(settings)[0]!.settings.index.sort, { field: ["popularity", "name.raw", "id"], order: ["desc", "asc", "asc"] });
    const [, startingWithA] = suggestionTiers(typedText("a"))!;
    const body = tierPageBody(startingWithA!, 8);
    assert.deepEqual(body.sort, [{ popularity: "desc" }, { "name.raw": "asc" }, { id: "asc" }], "sorted as stored, by no score");
    assert.equal(body.track_total_hits, false, "counting every match would visit every match");
  });

  it("follows renames, sales and deletions: a name shows its best product, and goes when its last product does", async () => {
    const named = (name: string) => documents.filter((d) => d.name === name);
    // A name sold as several products, and its best one (most sold, then lowest id).
    const crowded = [...new Set(documents.map((d) => d.name))].find((name) => named(name).length >= 3)!;
    const rank = (a: SearchDocument, b: SearchDocument) => b.popularity - a.popularity || (a.id < b.id ? -1 : 1);
    const [best, second] = [...named(crowded)].sort(rank);
    const lonely = [...new Set(documents.map((d) => d.name))].filter((name) => name !== crowded).sort((a, b) => named(a).length - named(b).length)[0]!;
    const [only] = named(lonely);
    const changes: IndexChange[] = [
      // The best renamed away: its name now shows the next best.
      { kind: "upsert", document: { ...best!, name: "Zephyr Quiet Kettle", version: 2 } },
      // Every product of a name deleted: the name is no longer suggested.
      ...named(lonely).map((d): IndexChange => ({ kind: "delete", id: d.id, version: 2 })),
    ];
    await index.apply(changes);
    // A late, older change is refused by both indexes alike, and does not bring the product back.
    await index.apply([{ kind: "upsert", document: { ...best!, name: "Zephyr Loud Kettle", version: 1 } }]);
    await index.apply([{ kind: "upsert", document: { ...only!, version: 1 } }]);
    await index.refresh();
    const now = applied(documents, changes);
    const after = new EmbeddedSuggestions();
    for (const d of now) after.add(d);
    assert.deepEqual(await index.suggestProducts(typedText("zeph"), 8), [{ productId: best!.id, text: "Zephyr Quiet Kettle", quality: 53, popularity: best!.popularity }]);
    const crowdedNow = await index.suggestProducts(typedText(crowded), 1);
    assert.deepEqual(crowdedNow.map((s) => s.productId), [second!.id], "the next best shows the name");
    assert.deepEqual((await index.suggestProducts(typedText(lonely), 8)).filter((s) => s.text === lonely), [], "a name without products is not suggested");
    for (const typed of typedTexts()) assert.deepEqual(await index.suggestProducts(typed, 8), after.suggest(typed, 8), `"${typed.phrase}" after the changes`);
    const names = async () => ((await (await fetch(`${base}/${alias}_names/_count`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: { exists: { field: "name" } } }) })).json()) as { count: number }).count;
    assert.equal(await names(), new Set(now.map((d) => d.name)).size, "one suggestion document per distinct name");
  });

  it("comes out right whatever order concurrent writers deliver changes in, replays and late changes included", { timeout: 120_000 }, async () => {
    const own = `${alias}_race`;
    const reader = new SearchEngineIndex("opensearch", recordingTransport(base, []), { alias: own, retireDelayMs: 100 });
    await reader.ensureIndex();
    await reader.apply(upserts(documents));
    const writers = [0, 1, 2].map(() => new SearchEngineIndex("opensearch", recordingTransport(base, []), { alias: own, retireDelayMs: 100 }));
    // Products moving between a few names, selling more, deleted and written again later.
    const pool = documents.slice(0, 60);
    const targets = ["Aurora Lamp Pro", "Aurora Lamp", "Trail Table"];
    let state = 17;
    const next = () => ((state = (state * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
    const histories = pool.map((d) => {
      const history: IndexChange[] = [];
      let version = 10;
      let popularity = d.popularity;
      for (let k = 0; k < 4; k++) {
        version++;
        popularity += Math.floor(next() * 3);
        history.push(next() < 0.15 ? { kind: "delete", id: d.id, version } : { kind: "upsert", document: { ...d, name: targets[Math.floor(next() * targets.length)]!, popularity, version } });
      }
      return history;
    });
    // Each product's changes in order by one writer (the bus keeps a product's order), products
    // spread over the writers and interleaved, every change delivered twice, and some older
    // changes delivered again after the newest.
    await Promise.all(
      histories.map(async (history, p) => {
        const writer = writers[p % writers.length]!;
        for (const change of history) {
          await writer.apply([change]);
          await writer.apply([change]);
        }
        await writer.apply([history[0]!]);
      }),
    );
    await reader.refresh();
    const final = histories.map((history) => history[history.length - 1]!);
    const gone = new Set(final.filter((c) => c.kind === "delete").map((c) => (c as { id: string }).id));
    const latest = new Map(final.flatMap((c) => (c.kind === "upsert" ? [[c.document.id, c.document] as const] : [])));
    const catalogNow = documents.filter((d) => !gone.has(d.id)).map((d) => latest.get(d.id) ?? d);
    const expected = new EmbeddedSuggestions();
    for (const d of catalogNow) expected.add(d);
    for (const text of ["aurora", "aurora lamp", "trail", "tab", "lamp p"]) {
      assert.deepEqual(await reader.suggestProducts(typedText(text), 8), expected.suggest(typedText(text), 8), `"${text}"`);
    }
    for (const writer of [reader, ...writers]) await writer.close();
  });

  it("finishes a change whose writer stopped between the member and its names, when the change comes again", async () => {
    const [document] = documents.slice(-1);
    const moved = { ...document!, name: "Quasar Halfway Heater", version: 50 };
    const change: IndexChange = { kind: "upsert", document: moved };
    // Step one alone, as a writer killed before step two leaves it.
    const { body } = await recordingTransport(base, [])({ method: "POST", path: "/_bulk", ndjson: memberUpdateLines(change, `${alias}_names`).join("\n") + "\n" });
    assert.equal((body as { errors: boolean }).errors, false);
    await index.refresh();
    assert.deepEqual(await index.suggestProducts(typedText("quasar"), 8), [], "the name is not written yet");
    await index.apply([change]);
    await index.refresh();
    assert.deepEqual((await index.suggestProducts(typedText("quasar"), 8)).map((s) => s.productId), [moved.id]);
  });

  it("refuses an offer no newer than the product's departure from the name, whatever order they land in", async () => {
    const concrete = Object.keys((await (await fetch(`${base}/_alias/${alias}_names`)).json()) as Record<string, unknown>)[0]!;
    const send = async (lines: string[]) => {
      const { body } = await recordingTransport(base, [])({ method: "POST", path: "/_bulk", ndjson: lines.join("\n") + "\n", querystring: { refresh: "true" } });
      assert.equal((body as { errors: boolean }).errors, false);
    };
    const move = { index: concrete, productId: "prod_drifter", popularity: 9, joined: null, left: null };
    // Left at version 7, then an offer of version 6 (delivered late): not a member.
    await send(nameUpdates([{ ...move, version: 7, left: "Orbit Drift Lamp" }]).lines);
    await send(nameUpdates([{ ...move, version: 6, joined: "Orbit Drift Lamp" }]).lines);
    assert.deepEqual(await index.suggestProducts(typedText("orbit drift"), 8), []);
    // Back at version 8: a member again.
    await send(nameUpdates([{ ...move, version: 8, joined: "Orbit Drift Lamp" }]).lines);
    assert.deepEqual((await index.suggestProducts(typedText("orbit drift"), 8)).map((s) => s.productId), ["prod_drifter"]);
  });
});

/** The catalog after changes: upserts replace, deletions remove. */
function applied(documents: SearchDocument[], changes: IndexChange[]): SearchDocument[] {
  const byId = new Map(documents.map((d) => [d.id, d]));
  for (const change of changes) {
    if (change.kind === "upsert") byId.set(change.document.id, change.document);
    else byId.delete(change.id);
  }
  return [...byId.values()];
}

describeWithRealEngine({ suite: "Suggestion index upgrade", engine: "opensearch", variable: "OPENSEARCH_URL" }, (url) => {
  const base = url.replace(/\/$/, "");
  it("a current product index without a suggestion index of this format gets one from the product index, and suggests from the product index meanwhile", { timeout: 60_000 }, async () => {
    const alias = `suggest_up_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
    const log: string[] = [];
    const transport = recordingTransport(base, log);
    const documents = catalog().slice(0, 300);
    try {
      await transport({ method: "PUT", path: `/${alias}_initial`, body: { ...indexDefinition(), aliases: { [alias]: {} } } });
      // The suggestion index of the former format (one document per product), beside it.
      await transport({ method: "PUT", path: `/${alias}_initial_suggestions`, body: { aliases: { [`${alias}_suggestions`]: {} } } });
      await transport({ method: "POST", path: "/_bulk", ndjson: bulkBody(upserts(documents), [alias]), querystring: { refresh: "true" } });
      const index = new SearchEngineIndex("opensearch", transport, { alias, retireDelayMs: 100, writeTargetTtlMs: 100 });
      await index.ensureIndex();
      assert.equal(await index.needsRebuild(), false, "the product index is current: no catalog read");
      assert.equal(await index.suggestionsOutdated(), true);
      log.length = 0;
      const before = await index.suggestProducts(typedText("air"), 8);
      assert.ok(before.length > 0);
      assert.deepEqual(log, [`POST /${alias}/_search`], "meanwhile the product index answers");

      // A live change while the suggestion index is built reaches it.
      const renamed = { ...documents[0]!, name: "Nimbus Cloud Pillow", version: 2 };
      const building = index.rebuildSuggestions({}, () => undefined);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await index.apply(upserts([renamed]));
      assert.equal((await building).indexed, documents.length);
      await index.refresh();
      const expected = new EmbeddedSuggestions();
      for (const document of [renamed, ...documents.slice(1)]) expected.add(document);
      log.length = 0;
      for (const text of ["air", "nimbus", "a", "head"]) assert.deepEqual(await index.suggestProducts(typedText(text), 8), expected.suggest(typedText(text), 8), `"${text}"`);
      const reads = log.filter((line) => line.includes("search"));
      assert.ok(reads.length > 0 && reads.every((line) => line.startsWith(`POST /${alias}_names/`)), log.join(", "));
      assert.equal(await index.suggestionsOutdated(), false);
      await index.close();
      const left = Object.keys((await (await fetch(`${base}/_alias/${alias}*`)).json()) as Record<string, unknown>);
      assert.ok(!left.includes(`${alias}_initial_suggestions`), `the former suggestion index is gone: ${left.join(", ")}`);
    } finally {
      await fetch(`${base}/${alias}_*`, { method: "DELETE" });
    }
  });
});
