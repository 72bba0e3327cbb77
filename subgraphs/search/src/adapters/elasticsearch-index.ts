import { Client } from "@elastic/elasticsearch";
import { SearchEngineIndex, type EngineTransport, type SearchEngineIndexOptions } from "./search-engine-index.js";

/**
 * The search index on Elasticsearch 8 (production): a thin binding of the shared DSL to the
 * official 8.x client, which talks to ES 8 only (it refuses OpenSearch).
 */
export class ElasticsearchIndex extends SearchEngineIndex {
  private constructor(
    private readonly client: Client,
    options: SearchEngineIndexOptions,
  ) {
    super("elasticsearch", elasticsearchTransport(client), options);
  }

  static async connect(url: string, options: SearchEngineIndexOptions): Promise<ElasticsearchIndex> {
    const client = new Client({ node: url, requestTimeout: 30_000, maxRetries: 2 });
    await client.info();
    return new ElasticsearchIndex(client, options);
  }

  override async close(): Promise<void> {
    await super.close();
    await this.client.close();
  }
}

function elasticsearchTransport(client: Client): EngineTransport {
  return async ({ method, path, body, ndjson, querystring, timeoutMs }) => {
    const response = await client.transport.request(
      { method, path, querystring, ...(ndjson !== undefined ? { bulkBody: ndjson } : body !== undefined ? { body: body as Record<string, unknown> } : {}) },
      { ignore: [404], meta: true, ...(timeoutMs !== undefined ? { requestTimeout: timeoutMs, maxRetries: 0 } : {}) },
    );
    return { status: response.statusCode ?? 200, body: response.body };
  };
}
