// A rebuild killed half-way (SIGKILL, a node lost) leaves its index behind the building alias:
// a copy of the catalog on the engine for good, and every live change written to it as well.
// The next rebuild made under the rebuild claim deletes it; one made without the claim (where
// another rebuild may be running) only lets it go.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, describe, it } from "node:test";
import { describeWithRealEngine, engineSuiteTitle } from "#kernel/testing";
import { OpenSearchIndex } from "../src/adapters/open-search-index.js";
import { judgedCatalog } from "./search-index.contract.js";

describeWithRealEngine({ suite: "Search index rebuild after one killed half-way", engine: "opensearch", variable: "OPENSEARCH_URL" }, (url) => {
  describe(engineSuiteTitle("Search index rebuild after one killed half-way", "opensearch"), { timeout: 60_000 }, () => {
    const base = url.replace(/\/$/, "");
    const alias = `abandoned_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
    const send = async (method: string, path: string, body?: unknown) =>
      (await fetch(`${base}${path}`, { method, ...(body !== undefined && { body: JSON.stringify(body), headers: { "content-type": "application/json" } }) })).json() as Promise<any>;
    const indexesOf = async () => Object.keys(await send("GET", `/${alias}_*`)).sort();
    let index: OpenSearchIndex | undefined;
    after(async () => {
      await index?.close();
      await fetch(`${base}/${alias}_*`, { method: "DELETE" }).catch(() => undefined);
    });

    /** What a rebuild killed after its first bulk leaves: an index behind the building alias, partly filled. */
    const abandonedBuild = async (name: string) => {
      await send("PUT", `/${name}`, { aliases: { [`${alias}_building`]: {} } });
      await send("PUT", `/${name}/_doc/half?refresh=true`, { name: "half-built" });
    };

    it("a rebuild holding the claim deletes the index a killed rebuild left; one without the claim leaves it", async () => {
      index = await OpenSearchIndex.connect(url, { alias, retireDelayMs: 50 });
      await index.ensureIndex();
      const catalog = judgedCatalog();
      const killed = `${alias}_1000000000001`;
      await abandonedBuild(killed);
      const startedAt = performance.now();
      const { indexed } = await index.rebuild((async function* () { yield catalog; })(), undefined, { dropAbandonedBuilds: true });
      assert.equal(indexed, catalog.length);
      assert.ok(!(await indexesOf()).includes(killed), "the killed rebuild's index is gone");
      const building = await send("GET", `/_alias/${alias}_building`);
      assert.equal(building.status, 404, `nothing is being built any more: ${JSON.stringify(building)}`);
      console.log(`# claimed rebuild with the abandoned index deleted took ${Math.round(performance.now() - startedAt)} ms`);

      // Without the claim the index being built may be a running rebuild's: let go, not deleted.
      const running = `${alias}_1000000000002`;
      await abandonedBuild(running);
      await index.rebuild((async function* () { yield catalog; })());
      assert.ok((await indexesOf()).includes(running), "a rebuild without the claim does not delete what may be a running rebuild's index");
    });

    it("a rebuild holding the claim deletes the suggestion index a killed rebuild left beside its product index", async () => {
      index ??= await OpenSearchIndex.connect(url, { alias, retireDelayMs: 50 });
      await index.ensureIndex();
      const killed = `${alias}_1000000000003`;
      await abandonedBuild(killed);
      await send("PUT", `/${killed}_names`, { aliases: { [`${alias}_building_names`]: {} } });
      await index.rebuild((async function* () { yield judgedCatalog().slice(0, 20); })(), undefined, { dropAbandonedBuilds: true });
      const left = await indexesOf();
      assert.ok(!left.includes(killed) && !left.includes(`${killed}_names`), `both of the killed rebuild's indexes are gone: ${left.join(", ")}`);
      const building = await send("GET", `/_alias/${alias}_building_names`);
      assert.equal(building.status, 404, "no suggestion index is being built any more");
      const suggestions = await send("GET", `/_alias/${alias}_names`);
      assert.equal(Object.keys(suggestions).length, 1, `one suggestion index answers: ${JSON.stringify(suggestions)}`);
    });
  });
});
