import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { describeWithRealEngine, engineSuiteTitle, realEngineUrl } from "#kernel/testing";
import { EmbeddedSearchIndex } from "../src/adapters/embedded-search-index.js";
import { OpenSearchIndex } from "../src/adapters/open-search-index.js";
import { ElasticsearchIndex } from "../src/adapters/elasticsearch-index.js";
import type { SearchEngineIndex } from "../src/adapters/search-engine-index.js";
import { defineSearchIndexContract } from "./search-index.contract.js";

defineSearchIndexContract("embedded", async () => new EmbeddedSearchIndex());

/** A fresh alias per suite; closing deletes every index the suite made under it. */
const disposable = <T extends SearchEngineIndex>(connect: (alias: string) => Promise<T>, drop: (alias: string) => Promise<void>) => async () => {
  const alias = `contract_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const index = await connect(alias);
  const close = index.close.bind(index);
  return Object.assign(index, {
    async close() {
      await drop(alias).catch(() => undefined);
      await close();
    },
  });
};

const dropByUrl = (url: string) => async (alias: string) => {
  await fetch(`${url.replace(/\/$/, "")}/${alias}_*`, { method: "DELETE" });
};

describeWithRealEngine({ suite: "SearchIndex contract", engine: "opensearch", variable: "OPENSEARCH_URL" }, (url) => {
  defineSearchIndexContract(
    "opensearch",
    disposable((alias) => OpenSearchIndex.connect(url, { alias, retireDelayMs: 200 }), dropByUrl(url)),
  );
});

// Elasticsearch 8 cannot run on this project's machines (CI included), so unlike the suites
// above a missing ELASTICSEARCH_URL skips rather than fails; its request bodies are unit-tested.
const elasticsearchUrl = realEngineUrl("ELASTICSEARCH_URL");
if (elasticsearchUrl) {
  defineSearchIndexContract(
    "elasticsearch",
    disposable((alias) => ElasticsearchIndex.connect(elasticsearchUrl, { alias, retireDelayMs: 200 }), dropByUrl(elasticsearchUrl)),
  );
} else {
  describe(engineSuiteTitle("SearchIndex contract", "elasticsearch"), () => {
    it("runs against a real Elasticsearch 8", { skip: "ELASTICSEARCH_URL is not set" }, () => {});
  });
}
