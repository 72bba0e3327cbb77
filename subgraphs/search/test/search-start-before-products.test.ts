import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createLogger, DomainError, ErrorCode, loadConfig, openPlatform, type Platform } from "#kernel";
import { EmbeddedSearchIndex } from "../src/adapters/embedded-search-index.js";
import { startSearchSubgraph } from "../src/search-subgraph.js";
import type { CatalogSource } from "../src/ports/catalog-source.js";
import { judgedCatalog } from "./search-index.contract.js";

/**
 * Started as its own process, search can come up before the products subgraph it builds its
 * first index from (a fleet starting, products restarting). It used to exit with a stack
 * trace and be restarted in a loop; it now waits for the catalog, and still fails at once on
 * an error that waiting cannot mend.
 */
describe("search started before the products subgraph answers", () => {
  let platform: Platform;
  before(async () => {
    platform = await openPlatform(loadConfig({ APP_ENV: "test", LOG_LEVEL: "silent" }), createLogger("silent"), { needsDatabase: false });
  });
  after(() => platform.close());

  /** A catalog that is unreachable for its first `failures` scans, then answers. */
  function lateCatalog(failures: number, error: () => Error) {
    const documents = judgedCatalog().slice(0, 12);
    const calls = { scans: 0 };
    const catalog: CatalogSource = {
      async *scan() {
        calls.scans++;
        if (calls.scans <= failures) throw error();
        yield documents;
      },
      close: async () => {},
    };
    return { catalog, calls, documents };
  }

  it("waits for an unreachable catalog and builds the index once it answers", async () => {
    const { catalog, calls, documents } = lateCatalog(3, () => new DomainError(ErrorCode.SERVICE_UNAVAILABLE, "A service this operation needs is unavailable; please retry"));
    const index = new EmbeddedSearchIndex();
    const search = await startSearchSubgraph(platform, { port: 0, index, catalog });
    try {
      assert.equal(calls.scans, 4);
      assert.equal(await index.count(), documents.length);
    } finally {
      await search.close();
    }
  });

  it("fails the start at once on an error that says something about the catalog, not its reachability", async () => {
    const { catalog, calls } = lateCatalog(1, () => new DomainError(ErrorCode.BAD_USER_INPUT, "catalogPage: first must be at most 500"));
    await assert.rejects(startSearchSubgraph(platform, { port: 0, index: new EmbeddedSearchIndex(), catalog }), /first must be at most 500/);
    assert.equal(calls.scans, 1);
  });
});
