import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { GraphQLDataSource } from "@apollo/gateway";
import { Kind, parse, type OperationDefinitionNode } from "graphql";
import { createLogger } from "#kernel";
import { SUBGRAPHS, SUPERGRAPH_PATH } from "../../schema/subgraphs.js";
import { PERSISTED_MANIFEST_PATH, readGoldenOperations, readReleasedOperations } from "../../schema/golden-operations.js";
import type { GatewayContext } from "../src/gateway-context.js";
import { PreparedGateway } from "../src/execution/prepared-gateway.js";
import { startGraphQLEndpoint, type GraphQLEndpoint } from "../src/graphql-endpoint.js";
import { callerOf } from "../src/rate-limit/caller.js";
import { createCallerRateLimiter } from "../src/rate-limit/caller-rate-limiter.js";
import { createRequestPolicy, type RequestPolicy } from "../src/security/request-policy.js";
import { loadPersistedOperations, operationId } from "../src/security/persisted-operations.js";
import { listSizesOf } from "../src/security/list-sizes.js";
import { createPublicCatalogPolicy } from "../src/performance/public-catalog-policy.js";
import { createResponseCache } from "../src/performance/response-cache.js";
import { responseCachePlugin, type CachedAnswer } from "../src/performance/response-cache-plugin.js";
import type { RunningResponseCache } from "../src/performance/start-response-cache.js";
import { generatedSubgraphs, SCENARIOS, variablesFor } from "./support/generated-subgraphs.js";
import { allowAll, limits } from "./support/cost-budget-policy.js";

const SDL = readFileSync(SUPERGRAPH_PATH, "utf8");
const SUBGRAPH_SDLS = Object.fromEntries(SUBGRAPHS.map(({ name, sdl }) => [name, readFileSync(sdl, "utf8")]));
const PERSISTED = [...readGoldenOperations(), ...readReleasedOperations()].map((operation) => operation.query);

/** What each subgraph's Cache-Control says, as the pooled data source reads it into the answer's policy. */
const SUBGRAPH_HINTS: Record<string, { maxAge: number; scope?: "PUBLIC" | "PRIVATE" }> = {
  products: { maxAge: 60, scope: "PUBLIC" },
  search: { maxAge: 30, scope: "PUBLIC" },
  inventory: { maxAge: 5, scope: "PUBLIC" },
};

/** The Accept headers the persisted answers serve, and one refused 406 before either path (nothing runs). */
const ACCEPTS = [undefined, "application/json", "*/*", "application/graphql-response+json, application/json", "application/graphql-response+json,application/json;q=0.9", "application/graphql-response+json", "application/json, */*", "text/html"];

/** Headers that differ between any two answers (when, over which socket). */
const UNCOMPARED = new Set(["date", "connection", "keep-alive"]);

interface Side {
  gateway: PreparedGateway;
  subgraphs: ReturnType<typeof generatedSubgraphs>;
  url: string;
  /** Requests Apollo Server's pipeline was asked to answer, and of them by GET. */
  pipeline: { count: number; byGet: number };
  /** Each settled answer's cost settlement, as the request policy was handed it. */
  settled: string[];
  /** Runs an admitted operation as a WebSocket subscribe message runs it (`GraphQLEndpoint.execute`). */
  execute: GraphQLEndpoint["execute"];
  /** Operations run outside HTTP that Apollo Server's pipeline was asked to run. */
  executed: { count: number };
  close(): Promise<void>;
}

/** The gateway's GraphQL endpoint over generated subgraphs, on its own port, its answers written by `persistedAnswers`. */
async function sideWith(persistedAnswers: "own" | "apollo", options: { responseCache?: boolean } = {}): Promise<Side> {
  const subgraphs = generatedSubgraphs(SUBGRAPH_SDLS);
  const gateway = new PreparedGateway(SDL, (subgraph) => withCacheHint(subgraph.name, subgraphs.build(subgraph), subgraphs.state.asked));
  await gateway.prepareAhead(PERSISTED);
  const real = createRequestPolicy({
    limits: { ...limits, maxCost: 100_000, maxTokens: 5_000 },
    rateLimit: allowAll,
    networkRateLimit: allowAll,
    costRateLimit: {
      perMinute: 10_000_000,
      perCaller: createCallerRateLimiter({ pointsPerMinute: 10_000_000, keyPrefix: "rl:cost" }),
      perNetwork: createCallerRateLimiter({ pointsPerMinute: 100_000_000, keyPrefix: "rl:cost:network" }),
    },
    budgets: { charge: async () => ({ giveBack: async () => {} }) },
    persisted: loadPersistedOperations(PERSISTED_MANIFEST_PATH, false),
    listSizes: listSizesOf(gateway.schema, gateway.supergraphSchema),
    isPrepared: (query, operationName) => gateway.isPrepared(query, operationName),
  });
  const settled: string[] = [];
  const policy: RequestPolicy = {
    ...real,
    settlementFor: (admitted, planningMs) => {
      const settle = real.settlementFor(admitted, planningMs);
      return async (request, result) => {
        settled.push(JSON.stringify(result));
        await settle(request, result);
      };
    },
  };
  let responseCache: Pick<RunningResponseCache, "plugins" | "bypass"> = { plugins: [] };
  if (options.responseCache) {
    const catalog = createPublicCatalogPolicy(SDL);
    const cache = createResponseCache<CachedAnswer>({ maxEntries: 1_000, maxBytes: 10_000_000, ttlMs: 60_000, settleMs: 0 });
    responseCache = {
      plugins: [responseCachePlugin(cache, catalog, { statusHeader: true })],
      bypass: { looksUp: (schema, document, operationName) => catalog(schema, document, operationName).cacheable, statusHeader: true },
    };
  }
  const logger = createLogger("error", {}, () => undefined);
  const endpoint = await startGraphQLEndpoint({ gateway, logger, development: false, responseCache, policy, maxRequestBytes: 100_000, persistedAnswers });
  const pipeline = { count: 0, byGet: 0 };
  const execute = endpoint.apollo.executeHTTPGraphQLRequest.bind(endpoint.apollo);
  endpoint.apollo.executeHTTPGraphQLRequest = (request) => {
    pipeline.count++;
    if (request.httpGraphQLRequest.method === "GET") pipeline.byGet++;
    return execute(request);
  };
  const executed = { count: 0 };
  const executeOperation = endpoint.apollo.executeOperation.bind(endpoint.apollo);
  endpoint.apollo.executeOperation = ((request: never, options: never) => {
    executed.count++;
    return executeOperation(request, options);
  }) as typeof endpoint.apollo.executeOperation;
  const server: Server = createServer((req, res) => {
    const user = req.headers["x-test-user"];
    const identity = typeof user === "string" ? { userId: user, roles: ["customer" as const] } : undefined;
    const context: GatewayContext = { requestId: "r-1", identity, caller: callerOf(identity, "203.0.113.7"), clientAddress: "203.0.113.7", planning: new Map() };
    endpoint.handle(req, res, context).catch((error: unknown) => {
      res.statusCode = 599;
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    gateway,
    subgraphs,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    pipeline,
    settled,
    execute: endpoint.execute,
    executed,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await endpoint.apollo.stop();
    },
  };
}

/**
 * A generated subgraph whose answers narrow the request's cache policy as the pooled data source
 * does from a subgraph's Cache-Control (none: uncacheable), and whose calls note whom they were
 * made for (the identity the signed header carries).
 */
function withCacheHint(name: string, source: GraphQLDataSource, asked: { subgraph: string; query: string; variables: string; caller?: string }[]): GraphQLDataSource {
  return {
    async process(options) {
      const response = await source.process(options);
      const context = options.context as GatewayContext | undefined;
      const last = asked.at(-1);
      if (last) last.caller = context?.identity?.userId ?? "guest";
      if ("incomingRequestContext" in options) options.incomingRequestContext.overallCachePolicy.restrict(context?.identity && name !== "products" ? { maxAge: 30, scope: "PRIVATE" } : (SUBGRAPH_HINTS[name] ?? { maxAge: 0 }));
      return response;
    },
  };
}

/** How a request travels: a JSON POST, or a GET with the operation in its query string. */
type Method = "POST" | "GET";

/** Status, headers and body as a client reads them. */
async function ask(url: string, body: unknown, headers: Record<string, string | undefined>, method: Method = "POST"): Promise<string> {
  // A GET carries no content type: the header only a preflighted request may carry lets it past the cross-site rule.
  const sent: Record<string, string> = method === "POST" ? { "content-type": "application/json" } : { "apollo-require-preflight": "true" };
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) sent[name] = value;
  const response = method === "POST" ? await fetch(url, { method, headers: sent, body: JSON.stringify(body) }) : await fetch(withQueryString(url, body as Record<string, unknown>), { headers: sent });
  const kept = [...response.headers].filter(([name]) => !UNCOMPARED.has(name)).sort(([a], [b]) => a.localeCompare(b));
  return `${response.status} ${JSON.stringify(kept)} ${await response.text()}`;
}

/** One request to both sides, the subgraphs in the same scenario: the same answer, the same subgraph calls, the same settlement. */
async function compare(own: Side, apollo: Side, scenario: number, body: unknown, headers: Record<string, string | undefined>, label: string, method: Method = "POST"): Promise<string> {
  for (const side of [own, apollo]) {
    side.subgraphs.state.scenario = scenario;
    side.subgraphs.state.salt = 0;
    side.subgraphs.state.asked.length = 0;
    side.settled.length = 0;
  }
  const expected = await ask(apollo.url, body, headers, method);
  const actual = await ask(own.url, body, headers, method);
  assert.equal(actual, expected, label);
  assert.deepEqual(own.subgraphs.state.asked, apollo.subgraphs.state.asked, `${label}: the subgraphs were asked the same, for the same caller`);
  assert.deepEqual(own.settled, apollo.settled, `${label}: the same cost settled`);
  return expected;
}

describe("persisted operations answered without Apollo Server's pipeline answer as the pipeline does", () => {
  it("every persisted operation, every subgraph behaviour, signed in and not, each Accept, with names, hashes alone and bad variables", async () => {
    const own = await sideWith("own");
    const apollo = await sideWith("apollo");
    let compared = 0;
    let withErrors = 0;
    let cacheable = 0;
    let turn = 0;
    let byGet = 0;
    let unacceptable = 0;
    try {
      for (const text of PERSISTED) {
        const operations = parse(text).definitions.filter((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
        for (const operation of operations) {
          const name = operation.name?.value;
          if (operation.operation === "subscription") continue;
          for (let scenario = 0; scenario < SCENARIOS.length; scenario++) {
            for (const optional of [false, true]) {
              // Signed in and not, in turn: every operation meets both, over its behaviours.
              const user = (scenario + Number(optional)) % 2 === 0 ? undefined : "u-1";
              const variables = variablesFor(own.gateway.schema, operation.variableDefinitions, optional, [name, scenario]);
              const accept = ACCEPTS[turn++ % ACCEPTS.length];
              // The query with its name, or the manifest's hash alone (the policy fills the text in).
              // (A text of one operation may leave its name out.)
              const operationName = turn % 5 === 0 && operations.length === 1 ? undefined : name;
              const body = turn % 3 === 0 ? { extensions: { persistedQuery: { version: 1, sha256Hash: operationId(text) } }, variables, operationName } : { query: text, operationName, variables };
              // Queries by GET too, every other time (a mutation's GET is refused before either path;
              // a GET asking for HTML is Apollo Server's landing page, a random nonce in it).
              const method: Method = operation.operation === "query" && optional && accept !== "text/html" ? "GET" : "POST";
              const answer = await compare(own, apollo, scenario, body, { accept, "x-test-user": user }, `${method} ${name} scenario ${scenario} ${user ?? "guest"} accept ${accept} ${JSON.stringify(body).slice(0, 200)}`, method);
              compared++;
              if (accept === "text/html") {
                unacceptable++;
                assert.match(answer, /^406 /, "an answer in HTML is refused before anything runs");
                assert.deepEqual(own.subgraphs.state.asked, [], "the refused operation asked no subgraph");
              }
              if (method === "GET") byGet++;
              if (answer.includes('"errors"')) withErrors++;
              if (/"cache-control","max-age/.test(answer)) cacheable++;
            }
          }
          // Variables that do not coerce: refused by the pipeline on both sides, nothing sent.
          if (operation.variableDefinitions?.length) {
            const wrong = Object.fromEntries(operation.variableDefinitions.map((definition) => [definition.variable.name.value, { not: ["a value"] }]));
            const answer = await compare(own, apollo, 0, { query: text, operationName: name, variables: wrong }, {}, `${name} with wrong variables`);
            assert.match(answer, /^400 .*BAD_USER_INPUT/, `${name}: wrong variables refused`);
            if (operation.operation === "query") await compare(own, apollo, 0, { query: text, operationName: name, variables: wrong }, {}, `GET ${name} with wrong variables`, "GET");
            else assert.match(await compare(own, apollo, 0, { query: text, operationName: name, variables: wrong }, {}, `GET ${name}`, "GET"), /^405 /, `${name}: a mutation by GET refused`);
            // Hostile values the request policy lets through to execution: NUL bytes in every
            // string, and each variable nested 200 deep. The same answer on both paths.
            const valid = variablesFor(own.gateway.schema, operation.variableDefinitions, true, [name, 0]);
            await compare(own, apollo, 0, { query: text, operationName: name, variables: withNulBytes(valid) }, {}, `${name} with NUL bytes`);
            const deep = Object.fromEntries(operation.variableDefinitions.map((definition) => [definition.variable.name.value, nested(200)]));
            const deepAnswer = await compare(own, apollo, 0, { query: text, operationName: name, variables: deep }, {}, `${name} nested 200 deep`);
            assert.match(deepAnswer, /^400 /, `${name}: a value nested 200 deep refused`);
          }
        }
      }
      // A batch of two persisted operations: the pipeline's on both sides.
      const batch = PERSISTED.slice(0, 2).map((query) => ({ query }));
      await compare(own, apollo, 0, batch, {}, "a batch");
    } finally {
      await own.close();
      await apollo.close();
    }
    assert.ok(compared >= PERSISTED.length * SCENARIOS.length * 2 - 50, `${compared} answers compared`);
    assert.ok(withErrors > compared / 10, `${withErrors} of ${compared} answers carry errors`);
    assert.ok(cacheable > 0, "some answers are cacheable: the Cache-Control headers compared were not all no-store");
    assert.ok(byGet > compared / 10, `${byGet} of ${compared} requests sent by GET`);
    // The own path answered most requests: the pipeline met only the wrong variables,
    // subscriptions' texts and the batch.
    assert.ok(own.pipeline.count < compared / 4, `the pipeline answered ${own.pipeline.count} of the own side's ${compared} requests`);
    assert.ok(unacceptable > 0);
    assert.ok(apollo.pipeline.count >= compared - unacceptable, "every request of the reference but those refused for their Accept went through the pipeline");
    // By GET, the pipeline met only wrong variables (its words for them) and mutations refused before either path.
    assert.ok(own.pipeline.byGet < byGet / 4, `the pipeline answered ${own.pipeline.byGet} of the own side's ${byGet} GETs`);
  });

  it("over WebSocket: every persisted operation, every subgraph behaviour, signed in and not, and bad variables, as Apollo Server's executeOperation gives it", async () => {
    const own = await sideWith("own");
    const apollo = await sideWith("apollo");
    let compared = 0;
    let withErrors = 0;
    const run = async (scenario: number, request: { query: string; operationName?: string; variables?: Record<string, unknown> }, user: string | undefined, label: string) => {
      const results: string[] = [];
      for (const side of [apollo, own]) {
        side.subgraphs.state.scenario = scenario;
        side.subgraphs.state.salt = 0;
        side.subgraphs.state.asked.length = 0;
        // As the WebSocket server makes it for each subscribe message: a context of its own.
        const identity = user ? { userId: user, roles: ["customer" as const] } : undefined;
        const context: GatewayContext = { requestId: "r-1", identity, caller: callerOf(identity, "203.0.113.7"), clientAddress: "203.0.113.7", planning: new Map() };
        // What graphql-ws sends: the result written out as JSON.
        results.push(JSON.stringify(await side.execute(request, context)));
      }
      assert.equal(results[1], results[0], label);
      assert.deepEqual(own.subgraphs.state.asked, apollo.subgraphs.state.asked, `${label}: the subgraphs were asked the same, for the same caller`);
      compared++;
      if (results[0]!.includes('"errors"')) withErrors++;
    };
    try {
      for (const text of PERSISTED) {
        const operations = parse(text).definitions.filter((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
        for (const operation of operations) {
          const name = operation.name?.value;
          if (operation.operation === "subscription") continue;
          for (let scenario = 0; scenario < SCENARIOS.length; scenario++) {
            const optional = scenario % 2 === 1;
            const user = scenario % 3 === 0 ? undefined : "u-1";
            const variables = variablesFor(own.gateway.schema, operation.variableDefinitions, optional, [name, scenario]);
            await run(scenario, { query: text, operationName: name, variables }, user, `ws ${name} scenario ${scenario} ${user ?? "guest"}`);
          }
          if (operation.variableDefinitions?.length) {
            const wrong = Object.fromEntries(operation.variableDefinitions.map((definition) => [definition.variable.name.value, { not: ["a value"] }]));
            await run(0, { query: text, operationName: name, variables: wrong }, undefined, `ws ${name} with wrong variables`);
          }
        }
      }
    } finally {
      await own.close();
      await apollo.close();
    }
    assert.ok(withErrors > compared / 10, `${withErrors} of ${compared} results carry errors`);
    // The pipeline ran only the wrong variables (its words for them) on the own side.
    assert.ok(own.executed.count < compared / 4, `the pipeline ran ${own.executed.count} of the own side's ${compared} operations`);
    assert.ok(apollo.executed.count >= compared, "every operation of the reference went through the pipeline");
  });

  it("a GET of a persisted operation's hash alone, the first request either endpoint sees, is answered from the manifest on both paths", async () => {
    const own = await sideWith("own");
    const apollo = await sideWith("apollo");
    try {
      const text = PERSISTED.find((query) => /^\s*query\b/.test(query) && !/\$/.test(query))!;
      const body = { extensions: { persistedQuery: { version: 1, sha256Hash: operationId(text) } } };
      const answer = await compare(own, apollo, 0, body, {}, "GET of a hash alone", "GET");
      assert.match(answer, /^200 .*"data":/, "answered, not PersistedQueryNotFound");
    } finally {
      await own.close();
      await apollo.close();
    }
  });

  it("with the response cache on: what it looks up goes through the pipeline, what it bypasses says so on both paths", async () => {
    const own = await sideWith("own", { responseCache: true });
    const apollo = await sideWith("apollo", { responseCache: true });
    let bypassed = 0;
    let looked = 0;
    try {
      for (const text of PERSISTED) {
        const operation = parse(text).definitions.find((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION)!;
        if (operation.operation === "subscription") continue;
        const variables = variablesFor(own.gateway.schema, operation.variableDefinitions, true, [operation.name?.value]);
        for (const round of [1, 2]) {
          const answer = await compare(own, apollo, 0, { query: text, operationName: operation.name?.value, variables }, {}, `${operation.name?.value} round ${round}`);
          if (answer.includes('"x-response-cache","bypass"')) bypassed++;
          else looked++;
        }
      }
    } finally {
      await own.close();
      await apollo.close();
    }
    assert.ok(bypassed > 0 && looked > 0, `${bypassed} bypassed, ${looked} looked up`);
  });
});

/** `value` with a NUL byte inside every string it holds. */
function withNulBytes(value: unknown): unknown {
  if (typeof value === "string") return `${value}\u0000${value}`;
  if (Array.isArray(value)) return value.map(withNulBytes);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, withNulBytes(inner)]));
  return value;
}

/** An object nested `depth` levels deep. */
function nested(depth: number): unknown {
  let value: unknown = "end";
  for (let i = 0; i < depth; i++) value = { inner: value };
  return value;
}

/** `url` with the operation in its query string, each JSON value written as JSON (as a GraphQL GET sends it). */
function withQueryString(url: string, body: Record<string, unknown>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(body)) {
    if (value === undefined) continue;
    params.set(name, typeof value === "string" ? value : JSON.stringify(value));
  }
  return `${url}?${params}`;
}
