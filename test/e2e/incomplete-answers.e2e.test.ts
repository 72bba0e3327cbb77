import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { createLogger, loadConfig, type EventBus } from "#kernel";
import { waitFor } from "#kernel/testing";
import { startSupergraph, type RunningSupergraph } from "../../platform/start-supergraph.js";
import { issueAccessToken } from "../../gateway/src/auth/access-token-verifier.js";
import { INDEXER_GROUP } from "../../subgraphs/search/src/domain/product-indexer.js";
import { createTestDatabase } from "../support/test-database.js";
import { postGraphQL } from "../support/graphql-client.js";

/** A search indexer that never hears of deletions: the index keeps hits for products gone from the catalog. */
const indexerMissesDeletions = (bus: EventBus): EventBus => ({
  engine: bus.engine,
  publish: (topic, events) => bus.publish(topic, events),
  subscribe: (options) =>
    options.group === INDEXER_GROUP
      ? bus.subscribe({ ...options, handle: (event) => ((event.payload as { type?: string }).type === "ProductDeleted" ? Promise.resolve() : options.handle(event)) })
      : bus.subscribe(options),
  close: () => bus.close(),
});

// A description, not only the name: a hit's name and price come with it from the index, so only
// a field the index does not carry makes the gateway ask the products subgraph, which no longer has it.
const SEARCH = `query($q: String!) { search(query: $q, first: 10) { totalCount edges { node { id name description } } } }`;

describe("answers the gateway could not complete", () => {
  let sg: RunningSupergraph;
  let drop: () => Promise<void>;
  let admin: string;
  const query = (q: string, variables: Record<string, unknown> = {}, token?: string) => postGraphQL(sg.gatewayUrl, q, variables, { token });

  before(async () => {
    const database = await createTestDatabase("embedded");
    drop = database.drop;
    const config = loadConfig({ APP_ENV: "test", DATABASE_URL: database.url, SEED_PRODUCTS: "20", LOG_LEVEL: "silent", RESPONSE_CACHE_TTL_SECONDS: "0" });
    try {
      sg = await startSupergraph({ config, logger: createLogger("silent"), ephemeralPorts: true, decorateBus: indexerMissesDeletions });
    } catch (error) {
      await drop();
      throw error;
    }
    admin = await issueAccessToken({ secret: config.auth.jwtSecret, issuer: config.auth.jwtIssuer }, { userId: "incomplete-admin", roles: ["customer", "admin"] });
  });
  after(async () => {
    await sg?.close();
    await drop?.();
  });

  it("says so with a coded error and the path cut, never data: null with no error, when a search hit's product is gone", async () => {
    const word = `vanishing${randomUUID().slice(0, 6)}`;
    const sku = `INC-${randomUUID().slice(0, 8).toUpperCase()}`;
    const created = await query(
      `mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }`,
      { input: { sku, name: `Lamp ${word}`, description: "Made to vanish.", priceAmount: 1500, category: "garden", brand: "Testwood", images: [] } },
      admin,
    );
    assert.equal(created.errors, undefined, JSON.stringify(created.errors));
    const id = created.data!.createProduct.id as string;
    await waitFor("the product is searchable", async () => (await query(SEARCH, { q: word })).data?.search.totalCount === 1, { timeoutMs: 10_000, intervalMs: 100 });

    const deleted = await query(`mutation($id: ID!) { deleteProduct(id: $id) }`, { id }, admin);
    assert.equal(deleted.errors, undefined, JSON.stringify(deleted.errors));

    const answer = await query(SEARCH, { q: word });
    assert.ok(answer.errors?.length, `an error is reported: ${JSON.stringify(answer)}`);
    assert.equal(answer.errors![0]!.extensions?.code, "SERVICE_UNAVAILABLE");
    assert.equal(answer.errors![0]!.extensions?.reason, "INCOMPLETE_RESULT");
    assert.ok(Array.isArray(answer.errors![0]!.path), "the error names where the answer was cut");
    assert.equal((answer as { extensions?: Record<string, unknown> }).extensions?.valueCompletion, undefined, "the gateway's internal report is not passed on");
    assert.doesNotMatch(JSON.stringify(answer), /at .*\.js:\d+|stack/i);
  });
});
