import { Client } from "@opensearch-project/opensearch";
import { SearchEngineIndex, type EngineTransport, type SearchEngineIndexOptions } from "./search-engine-index.js";

/** The search index on OpenSearch 2: a thin binding of the shared DSL to the OpenSearch client. */
export class OpenSearchIndex extends SearchEngineIndex {
  private constructor(
    private readonly client: Client,
    options: SearchEngineIndexOptions,
  ) {
    super("opensearch", openSearchTransport(client), options);
  }

  /** Connects and checks the cluster answers, so a wrong URL fails at start. */
  static async connect(url: string, options: SearchEngineIndexOptions): Promise<OpenSearchIndex> {
    const client = new Client({ node: url, requestTimeout: 30_000, maxRetries: 2 });
    await client.info();
    return new OpenSearchIndex(client, options);
  }

  override async close(): Promise<void> {
    await super.close();
    await this.client.close();
  }
}

function openSearchTransport(client: Client): EngineTransport {
  return async ({ method, path, body, ndjson, querystring, timeoutMs }) => {
    const response = await client.transport.request(
      { method, path, querystring, ...(ndjson !== undefined ? { bulkBody: ndjson } : body !== undefined ? { body: body as Record<string, unknown> } : {}) },
      { ignore: [404], ...(timeoutMs !== undefined ? { requestTimeout: timeoutMs, maxRetries: 0 } : {}) },
    );
    return { status: response.statusCode ?? 200, body: response.body };
  };
}
