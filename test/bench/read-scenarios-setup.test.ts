// Every scenario of `npm run bench` still measures something: its setup runs through the
// reference gateway (the product's query limits), and the requests it would load are each
// answered, and checked, by our gateway as the run starts it (APP_ENV=production: a token's
// subject must have an account) and, for `direct`, by the products subgraph. A scenario whose
// setup query is over the cost limit, or whose customers the gateway refuses, fails here in
// seconds instead of leaving a bench run with nothing measured. Small: 100 products, 2 clients.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createLogger, DEFAULT_TOKEN_AUDIENCE, EmbeddedEventBus, loadConfig } from "#kernel";
import { startGateway, type RunningGateway } from "../../gateway/src/gateway-server.js";
import { checkTargetAnswers, checkTargetRefusals } from "../../bench/harness/answer-check.js";
import { BENCH_BUDGETS } from "../../bench/harness/bench-environment.js";
import { scenarioSetup } from "../../bench/harness/scenario-setup.js";
import { READ_SCENARIOS } from "../../bench/scenarios/read-scenarios.js";
import type { ScenarioSetup } from "../../bench/scenarios/scenario.js";
import type { TargetName } from "../../bench/targets/targets.js";
import { startTestSupergraph, type TestSupergraph } from "../support/start-test-supergraph.js";

const SECRETS = { JWT_SECRET: "bench-scenarios-test-secret-0123456789abcdef", JWT_AUDIENCE: DEFAULT_TOKEN_AUDIENCE, INTERNAL_SECRET: "bench-scenarios-test-internal-0123456789abcdef" };
const PRODUCTS = 100;
const CONNECTIONS = 2;
/** The targets this test can stand up in-process; the peers answer from the same subgraphs. */
const CHECKED: TargetName[] = ["ours", "direct"];

describe("npm run bench: every scenario's setup and requests on a small embedded platform", () => {
  let reference: TestSupergraph;
  let ours: RunningGateway;
  let bus: EmbeddedEventBus;
  let setup: ScenarioSetup;

  before(async () => {
    reference = await startTestSupergraph({ env: { ...SECRETS, ...BENCH_BUDGETS, SEED_PRODUCTS: String(PRODUCTS) } });
    // Our gateway as bench/targets/targets.ts starts it: production, response cache off.
    const config = loadConfig({
      ...SECRETS,
      ...BENCH_BUDGETS,
      APP_ENV: "production",
      LOG_LEVEL: "silent",
      RESPONSE_CACHE_TTL_SECONDS: "0",
      ...Object.fromEntries(Object.entries(reference.subgraphUrls).map(([name, url]) => [`${name.toUpperCase()}_URL`, url])),
    });
    bus = new EmbeddedEventBus();
    ours = await startGateway({ config, logger: createLogger("silent"), bus, port: 0 });
    setup = scenarioSetup({
      referenceUrl: reference.gatewayUrl,
      auth: { secret: config.auth.jwtSecret, issuer: config.auth.jwtIssuer },
      internalSecret: config.auth.internalSecret,
      inventory: true,
      seedProducts: PRODUCTS,
      connections: CONNECTIONS,
    });
  });
  after(async () => {
    await ours?.close();
    await bus?.close();
    await reference?.close();
  });

  const urlOf = (target: TargetName) => (target === "direct" ? reference.subgraphUrls.products! : ours.url);

  for (const scenario of READ_SCENARIOS) {
    it(`${scenario.name}: prepares, and ${CHECKED.filter((t) => scenario.targets.includes(t)).join(" and ")} answer what the reference did`, async () => {
      const prepared = await scenario.prepare(setup);
      for (const target of CHECKED.filter((t) => scenario.targets.includes(t))) {
        const { problems } = await checkTargetAnswers(urlOf(target), prepared.requests(target), 2 * CONNECTIONS, CONNECTIONS);
        assert.deepEqual(problems, [], `${scenario.name} on ${target}: answers differ from the reference`);
        assert.deepEqual(await checkTargetRefusals(urlOf(target), prepared.refusals ?? []), [], `${scenario.name} on ${target}: hostile requests admitted`);
      }
    });
  }
});
