// Step 2 of a suggestion write (suggestion-names.ts) names the concrete index step 1 answered
// from. A rebuild may retire (delete) that index between the steps, or between a name's read and
// its rewrite: the late write must fail, not create an index of that name with a dynamic
// mapping, which nothing would ever delete and a later alias move could serve.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, it } from "node:test";
import { describeWithRealEngine } from "#kernel/testing";
import { SearchEngineIndex, type EngineTransport } from "../src/adapters/search-engine-index.js";
import { suggestionIndexDefinition } from "../src/adapters/search-dsl.js";
import { withOwnAlias } from "../src/adapters/own-index-alias.js";
import { nameDocumentId, recomputeName } from "../src/adapters/suggestion-names.js";
import type { SearchDocument } from "../src/ports/search-index.js";

const product = (id: string, name: string, version: number): SearchDocument => ({
  id,
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
  createdAt: 1_700_000_000_000,
  popularity: 1,
  version,
});

describeWithRealEngine({ suite: "Suggestion writes to a retired index", engine: "opensearch", variable: "OPENSEARCH_URL" }, (url) => {
  const base = url.replace(/\/$/, "");
  const alias = `retired_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
  /** Runs once, just before the request it matches is sent (the moment a retiring rebuild deletes the index). */
  let before: { matches: (method: string, path: string) => boolean; run: () => Promise<void> } | undefined;
  const transport: EngineTransport = async ({ method, path, body, ndjson, querystring }) => {
    if (before?.matches(method, path)) {
      const hook = before;
      before = undefined;
      await hook.run();
    }
    const query = querystring ? `?${new URLSearchParams(querystring)}` : "";
    const response = await fetch(`${base}${path}${query}`, {
      method,
      headers: { "content-type": ndjson !== undefined ? "application/x-ndjson" : "application/json" },
      body: ndjson ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const answer = (await response.json()) as unknown;
    if (!response.ok && response.status !== 404) throw new Error(`${response.status} ${JSON.stringify(answer)}`);
    return { status: response.status, body: answer };
  };
  const exists = async (index: string) => (await fetch(`${base}/${index}`, { method: "HEAD" })).status === 200;
  const drop = (index: string) => async () => void (await fetch(`${base}/${index}`, { method: "DELETE" }));
  after(async () => {
    await fetch(`${base}/${alias}_*`, { method: "DELETE" });
  });

  it("a name update whose index was deleted after the member's write fails and creates no index", async () => {
    const index = new SearchEngineIndex("opensearch", transport, { alias, retireDelayMs: 100, writeTargetTtlMs: 100 });
    await index.ensureIndex();
    await index.apply([{ kind: "upsert", document: product("prod_early", "Early Lamp", 1) }]);
    const concrete = `${alias}_initial_names`;
    assert.equal(await exists(concrete), true);
    // The bulk after step 1's is step 2's.
    let bulks = 0;
    before = { matches: (method, path) => method === "POST" && path === "/_bulk" && ++bulks === 2, run: drop(concrete) };
    await index.apply([{ kind: "upsert", document: product("prod_late", "Late Lamp", 1) }]).catch(() => undefined);
    assert.equal(bulks, 2, "step 2 was sent after the index went");
    assert.equal(await exists(concrete), false, "no index was made by the late name update");
    await index.close();
  });

  it("a name's rewrite after its best product was read again fails and creates no index once the index is gone", async () => {
    const concrete = `${alias}_${Date.now()}_names`;
    const name = "Unsure Lamp";
    await transport({ method: "PUT", path: `/${concrete}`, body: withOwnAlias(concrete, suggestionIndexDefinition()) });
    await transport({ method: "PUT", path: `/${concrete}/_doc/${encodeURIComponent(nameDocumentId(name))}`, body: { name, id: "prod_gone", popularity: 3, unsure: true, departed: {} }, querystring: { refresh: "true" } });
    before = { matches: (method, path) => method === "PUT" && path.includes("/_doc/"), run: drop(concrete) };
    await recomputeName(transport, concrete, name).catch(() => undefined);
    assert.equal(before, undefined, "the rewrite was sent after the index went");
    assert.equal(await exists(concrete), false, "no index was made by the rewrite");
  });
});
