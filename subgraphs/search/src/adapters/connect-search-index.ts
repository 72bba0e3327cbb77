import type { Config, Logger } from "#kernel";
import type { SearchIndex } from "../ports/search-index.js";
import { EmbeddedSearchIndex } from "./embedded-search-index.js";

/** Elasticsearch when ELASTICSEARCH_URL is set, else OpenSearch when OPENSEARCH_URL is, else in process. */
export async function connectSearchIndex(config: Config, logger: Logger): Promise<SearchIndex> {
  const alias = config.search.indexName;
  if (config.search.elasticsearchUrl) {
    const { ElasticsearchIndex } = await import("./elasticsearch-index.js");
    return ElasticsearchIndex.connect(config.search.elasticsearchUrl, { alias, logger });
  }
  if (config.search.openSearchUrl) {
    const { OpenSearchIndex } = await import("./open-search-index.js");
    return OpenSearchIndex.connect(config.search.openSearchUrl, { alias, logger });
  }
  return new EmbeddedSearchIndex();
}
