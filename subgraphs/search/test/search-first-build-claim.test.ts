import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createLogger, loadConfig, openPlatform, type KeyValueStore, type Platform } from "#kernel";
import { waitFor } from "#kernel/testing";
import { EmbeddedSearchIndex } from "../src/adapters/embedded-search-index.js";
import { rebuildClaimKey } from "../src/domain/rebuild-claim.js";
import { startSearchSubgraph } from "../src/search-subgraph.js";
import type { CatalogSource } from "../src/ports/catalog-source.js";
import { judgedCatalog } from "./search-index.contract.js";

/**
 * An empty search index (a first start, a lost search engine) is built before the replica serves,
 * under the rebuild claim every rebuilder takes: replicas starting together build it once, and a
 * claimed rebuild (the order keeper, the reindex command, an upgrade) never runs beside it nor
 * deletes its build as one a killed rebuild left. It was built without the claim.
 */
describe("the first build of an empty search index under the rebuild claim", () => {
  let platform: Platform;
  before(async () => {
    platform = await openPlatform(loadConfig({ APP_ENV: "test", LOG_LEVEL: "silent" }), createLogger("silent"), { needsDatabase: false });
  });
  after(() => platform.close());

  const documents = judgedCatalog().slice(0, 12);
  function countingCatalog() {
    const calls = { scans: 0 };
    const catalog: CatalogSource = {
      async *scan() {
        calls.scans++;
        yield documents;
      },
      close: async () => {},
    };
    return { catalog, calls };
  }
  /** The platform's store, counting the times the claim was asked for. */
  function countingClaims(kv: KeyValueStore, key: string) {
    const asked = { times: 0 };
    const counted: KeyValueStore = Object.create(kv, {
      setIfAbsent: { value: (k: string, value: string, ttlMs: number) => ((asked.times += k === key ? 1 : 0), kv.setIfAbsent(k, value, ttlMs)) },
    });
    return { counted, asked };
  }

  /** The platform with another store in place of its own (its other parts read as they are). */
  const withKv = (base: Platform, kv: KeyValueStore): Platform => Object.create(base, { kv: { value: kv } }) as Platform;

  it("waits while another rebuild holds the claim, builds nothing meanwhile, then builds under it and gives it back", async () => {
    const key = rebuildClaimKey(platform.config.search.indexName);
    await platform.kv.set(key, "a-reindex-command-building", 60_000);
    const { counted, asked } = countingClaims(platform.kv, key);
    const { catalog, calls } = countingCatalog();
    const index = new EmbeddedSearchIndex();
    const starting = startSearchSubgraph(withKv(platform, counted), { port: 0, index, catalog });
    try {
      await waitFor("the claim is asked for again", () => asked.times >= 2, { timeoutMs: 10_000, intervalMs: 20 });
      assert.equal(calls.scans, 0, "nothing built beside the claimed rebuild");
      await platform.kv.delete(key);
      await starting;
      assert.equal(calls.scans, 1);
      assert.equal(await index.count(), documents.length);
      assert.equal(await platform.kv.get(key), null, "the claim is given back");
    } finally {
      await platform.kv.delete(key);
      await (await starting).close();
    }
  });

  it("serves what the claim's holder built, without building it again", async () => {
    const key = rebuildClaimKey(platform.config.search.indexName);
    await platform.kv.set(key, "another-replica-building", 60_000);
    const { counted, asked } = countingClaims(platform.kv, key);
    const { catalog, calls } = countingCatalog();
    const index = new EmbeddedSearchIndex();
    const starting = startSearchSubgraph(withKv(platform, counted), { port: 0, index, catalog });
    try {
      await waitFor("the claim is asked for", () => asked.times >= 1, { timeoutMs: 10_000, intervalMs: 20 });
      // The other replica's build lands in the shared index, then it gives the claim back.
      await index.rebuild((async function* () {
        yield documents;
      })());
      await platform.kv.delete(key);
      await starting;
      assert.equal(calls.scans, 0, "built once, by the holder");
      assert.equal(await index.count(), documents.length);
    } finally {
      await platform.kv.delete(key);
      await (await starting).close();
    }
  });
});
