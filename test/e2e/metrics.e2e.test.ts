// Prometheus metrics of a running platform: real requests through the gateway move the
// counters they should, under the names they should, and hostile names cannot grow the series.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { after, before, it } from "node:test";
import { MAX_OPERATION_NAMES, operationLabel, registerKnownOperationNames } from "#kernel";
import { waitFor } from "#kernel/testing";
import { describeOnEngines, startCheckoutSupergraph, type CheckoutSupergraph } from "../../subgraphs/orders/test/support/start-checkout-supergraph.js";
import { codeOf, customer, dataOf, Ops, restock, waitForStatus } from "../../subgraphs/orders/test/support/storefront-operations.js";
import { collectSubscription, wsClient } from "../support/graphql-client.js";
import { exported, scrape, total, type Sample } from "../support/prometheus-scrape.js";
import { dashboardMetricNames } from "../support/grafana-dashboard.js";
import { alertMetricNames, type AlertRules } from "../support/prometheus-alerts.js";
import { parse } from "yaml";

const PRODUCT = "prod_0000003";
/** Names registered as persisted operations by this file: each has a series beside the cap. */
const persistedNames: string[] = [];

describeOnEngines("metrics of a running platform", (engines) => {
  let sg: CheckoutSupergraph;
  const metrics = (): Promise<Sample[]> => scrape(sg.gatewayUrl);

  before(async () => {
    sg = await startCheckoutSupergraph({
      engines,
      // The response cache on (tests turn it off by default), and a search budget small enough to run out.
      env: { RESPONSE_CACHE_TTL_SECONDS: "300", RATE_LIMIT_SEARCH_PER_MINUTE: "2" },
    });
  });
  after(async () => {
    await sg?.close();
  });

  it("every HTTP server of the process answers /metrics with the whole process's registry, named by its service", async () => {
    for (const url of [sg.gatewayUrl, ...Object.values(sg.subgraphUrls)]) {
      const response = await fetch(new URL("/metrics", url));
      assert.equal(response.status, 200, url);
      assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
      const text = await response.text();
      assert.match(text, /^nodejs_eventloop_lag_seconds\{service="storefront"\} \d/m, url);
      assert.match(text, /^nodejs_heap_size_used_bytes\{service="storefront"\} \d/m, url);
      // One registry: the gateway's series are on a subgraph's port too.
      assert.match(text, /^# TYPE storefront_gateway_subgraph_request_duration_seconds histogram$/m, url);
    }
  });

  it("counts a named operation under its name at the gateway and at each subgraph it reached, with latencies", async () => {
    const before = await metrics();
    // A fixed name: the process admits new names up to a cap, and the flood case below fills it.
    const name = "ProductPage";
    // Two products no other case reads: neither answer can come from the response cache.
    for (const id of ["prod_0000011", "prod_0000012"]) dataOf(await sg.query(`query ${name}($id: ID!) { product(id: $id) { id name stock } }`, { id }));
    const now = await metrics();
    const delta = (metric: string, labels: Record<string, string>) => total(now, metric, labels) - total(before, metric, labels);
    assert.equal(delta("storefront_graphql_operations_total", { server: "gateway", operation: name, kind: "query", outcome: "ok" }), 2);
    assert.equal(delta("storefront_graphql_operation_duration_seconds_count", { server: "gateway", operation: name }), 2);
    assert.ok(total(now, "storefront_graphql_operation_duration_seconds_sum", { server: "gateway", operation: name }) > 0);
    // stock lives in inventory: the plan called products, then inventory, each once per request.
    for (const subgraph of ["products", "inventory"]) {
      assert.ok(delta("storefront_gateway_subgraph_request_duration_seconds_count", { subgraph, outcome: "ok" }) >= 2, subgraph);
      assert.ok(delta("storefront_graphql_operations_total", { server: subgraph, outcome: "ok" }) >= 2, subgraph);
    }
  });

  it("counts an answer with errors as an error outcome, with its extensions.code", async () => {
    const before = await metrics();
    const c = await customer(sg);
    const answer = await sg.query(`mutation BadQuantity { addToCart(productId: "${PRODUCT}", quantity: -1) { totalQuantity } }`, {}, c.token);
    const code = codeOf(answer);
    assert.equal(code, "BAD_USER_INPUT");
    const now = await metrics();
    const delta = (metric: string, labels: Record<string, string>) => total(now, metric, labels) - total(before, metric, labels);
    assert.equal(delta("storefront_graphql_operations_total", { server: "gateway", operation: "BadQuantity", kind: "mutation", outcome: "error" }), 1);
    assert.equal(delta("storefront_graphql_errors_total", { server: "gateway", operation: "BadQuantity", code }), 1);
  });

  it("a repeated public query is a response-cache hit, and a product read again is a hot-product cache hit", async () => {
    const before = await metrics();
    const query = `query CachedProduct($id: ID!) { product(id: $id) { id name } }`;
    assert.equal((await sg.query(query, { id: PRODUCT })).headers.get("x-response-cache"), "miss");
    await waitFor("the answer is served from the response cache", async () => (await sg.query(query, { id: PRODUCT })).headers.get("x-response-cache") === "hit");
    let now = await metrics();
    const delta = (labels: Record<string, string>) => total(now, "storefront_cache_requests_total", labels) - total(before, "storefront_cache_requests_total", labels);
    // Another selection (a new alias each time) misses the response cache and reads the product
    // through the hot cache, filled above. A change event of the setup's restock may still
    // arrive on a loaded machine and empty that entry once; the read after it fills it again.
    let selection = 0;
    await waitFor("a product read again is a hot-product cache hit", async () => {
      dataOf(await sg.query(`query CachedProductPrice($id: ID!) { product(id: $id) { id p${selection++}: price { amount } } }`, { id: PRODUCT }));
      now = await metrics();
      return delta({ cache: "product", result: "hit" }) >= 1;
    });
    assert.ok(delta({ cache: "response", result: "miss" }) >= 2);
    assert.ok(delta({ cache: "response", result: "hit" }) >= 1);
  });

  it("counts each refusal by the budget that ran out, exactly once per refused request, also when they race", async () => {
    const before = await metrics();
    // Three runs of search in one operation are over a budget of two: refused whole, at once.
    const flood = `query SearchFlood { a: search(query: "shirt") { totalCount } b: search(query: "shoe") { totalCount } c: search(query: "hat") { totalCount } }`;
    const answers = await Promise.all(Array.from({ length: 5 }, () => sg.query(flood)));
    for (const answer of answers) assert.equal(codeOf(answer), "RATE_LIMITED");
    const now = await metrics();
    assert.equal(total(now, "storefront_rate_limit_refusals_total", { budget: "search" }) - total(before, "storefront_rate_limit_refusals_total", { budget: "search" }), 5);
    assert.equal(total(now, "storefront_gateway_http_responses_total", { route: "graphql", status: "429" }) - total(before, "storefront_gateway_http_responses_total", { route: "graphql", status: "429" }), 5);
    assert.equal(total(now, "storefront_graphql_operations_total", { operation: "SearchFlood" }), 0, "refused before execution");
  });

  it("counts the accounts subgraph's log-in throttle as a refusal of its own budget", async () => {
    const before = await metrics();
    const email = `nobody.${randomUUID().slice(0, 8)}@example.com`;
    const logIn = `mutation WrongPassword($email: String!) { logIn(email: $email, password: "not-the-password") { accessToken } }`;
    const codes = [];
    for (let i = 0; i < 6; i++) codes.push(codeOf(await sg.query(logIn, { email })));
    assert.deepEqual(codes, [...Array(5).fill("UNAUTHENTICATED"), "RATE_LIMITED"]);
    const now = await metrics();
    assert.equal(total(now, "storefront_rate_limit_refusals_total", { budget: "login_failures" }) - total(before, "storefront_rate_limit_refusals_total", { budget: "login_failures" }), 1);
    assert.equal(total(now, "storefront_graphql_errors_total", { server: "accounts", code: "RATE_LIMITED" }) - total(before, "storefront_graphql_errors_total", { server: "accounts", code: "RATE_LIMITED" }), 1);
  });

  it("counts a checkout's payment attempt and outcome once, even when the checkout is submitted twice at once", async () => {
    await restock(sg, [PRODUCT]);
    const before = await metrics();
    const c = await customer(sg);
    await c.add(PRODUCT, 1);
    const key = randomUUID();
    const [first, second] = await Promise.all([c.checkout(key), c.checkout(key)]);
    const order = dataOf(first).checkout;
    assert.equal(dataOf(second).checkout.id, order.id, "one order for one idempotency key");
    await waitForStatus(sg, c.token, order.id, "PAID");
    await waitFor("the payments subgraph counted the outcome", async () => total(await metrics(), "storefront_payment_outcomes_total", { status: "SUCCEEDED" }) > total(before, "storefront_payment_outcomes_total", { status: "SUCCEEDED" }));
    const now = await metrics();
    assert.equal(total(now, "storefront_payment_outcomes_total", { status: "SUCCEEDED" }) - total(before, "storefront_payment_outcomes_total", { status: "SUCCEEDED" }), 1);
    assert.equal(total(now, "storefront_payment_attempts_total", { operation: "charge", outcome: "succeeded" }) - total(before, "storefront_payment_attempts_total", { operation: "charge", outcome: "succeeded" }), 1);
    assert.ok(total(now, "storefront_graphql_operations_total", { server: "gateway", kind: "mutation" }) - total(before, "storefront_graphql_operations_total", { server: "gateway", kind: "mutation" }) >= 3);
    // The stock mirror took the reservation: trusted, with its admissions counted.
    assert.equal(total(now, "storefront_stock_mirror_trusted"), 1);
    assert.ok(total(now, "storefront_stock_mirror_admissions_total") + total(now, "storefront_stock_mirror_bypasses_total") >= 1);
    assert.ok(total(now, "storefront_stock_mirror_rebuilds_total") >= 1);
  });

  it("gauges WebSocket connections and live subscriptions while they are open, and drops them when they close", async () => {
    const c = await customer(sg);
    await c.add(PRODUCT, 1);
    const order = dataOf(await c.checkout()).checkout;
    const base = await metrics();
    const client = wsClient(sg.gatewayUrl, c.token);
    const following = collectSubscription(client, Ops.orderStatusChanged, { orderId: order.id }, () => false, 30_000).catch(() => []);
    await waitFor("the subscription is gauged", async () => {
      const now = await metrics();
      return total(now, "storefront_websocket_subscriptions") === total(base, "storefront_websocket_subscriptions") + 1 && total(now, "storefront_websocket_connections") === total(base, "storefront_websocket_connections") + 1;
    });
    await client.dispose();
    await waitFor("the closed connection is no longer gauged", async () => {
      const now = await metrics();
      return total(now, "storefront_websocket_subscriptions") === total(base, "storefront_websocket_subscriptions") && total(now, "storefront_websocket_connections") === total(base, "storefront_websocket_connections");
    });
    await following;
  });

  it("hostile operation names (a flood of new ones, overlong, odd) cannot grow the series past the cap", async () => {
    const names = Array.from({ length: MAX_OPERATION_NAMES + 30 }, (_, i) => `Flood${i}_${randomUUID().slice(0, 4)}`);
    for (let i = 0; i < names.length; i += 30) await Promise.all(names.slice(i, i + 30).map((name) => sg.query(`query ${name} { __typename }`)));
    // Longer than a label keeps (80), within what a name may be (128; past it the parser refuses).
    dataOf(await sg.query(`query ${"L".repeat(120)} { __typename }`));
    const now = await metrics();
    const gatewayNames = new Set(now.filter((s) => s.name === "storefront_graphql_operations_total" && s.labels.server === "gateway").map((s) => s.labels.operation));
    // The cap, plus "other", "anonymous" and the persisted names of an earlier engine set's run.
    assert.ok(gatewayNames.size <= MAX_OPERATION_NAMES + 2 + persistedNames.length, `${gatewayNames.size} operation labels`);
    assert.ok(total(now, "storefront_graphql_operations_total", { server: "gateway", operation: "other" }) >= 31);
    assert.ok(![...gatewayNames].some((name) => name!.length > 80));
    // A name from the persisted-operation manifest keeps its own series after the flood.
    const persisted = `Persisted${randomUUID().slice(0, 6)}`;
    registerKnownOperationNames([persisted]);
    persistedNames.push(persisted);
    dataOf(await sg.query(`query ${persisted} { __typename }`));
    assert.equal(total(await metrics(), "storefront_graphql_operations_total", { server: "gateway", operation: persisted }), 1);
  });

  it("a persisted operation's fetches keep their own series at the subgraphs they reach after invented names took every place there", async () => {
    // At a subgraph the gateway's fetches are named after the client's operation
    // (`<operation>__<subgraph>__<n>`): every name there is a client's. Fill the places of both
    // subgraphs the operation reaches, as 150 requests of invented names do.
    for (const server of ["products", "inventory"]) for (let i = 0; i < MAX_OPERATION_NAMES; i++) operationLabel(server, `Invented${i}_${randomUUID().slice(0, 4)}__${server}__0`);
    const persisted = `PersistedFetch${randomUUID().slice(0, 6)}`;
    registerKnownOperationNames([persisted]);
    persistedNames.push(persisted);
    dataOf(await sg.query(`query ${persisted}($id: ID!) { product(id: $id) { id name stock } }`, { id: "prod_0000013" }));
    const now = await metrics();
    // stock lives in inventory: products answers the plan's first fetch, inventory its second.
    assert.equal(total(now, "storefront_graphql_operations_total", { server: "products", operation: `${persisted}__products__0` }), 1);
    assert.equal(total(now, "storefront_graphql_operations_total", { server: "inventory", operation: `${persisted}__inventory__1` }), 1);
  });

  it("engine-backed gauges answer on scrape: the outbox backlog, and each consumer group's lag on the bus in use", async () => {
    const now = await metrics();
    assert.ok(exported(now, "storefront_outbox_backlog_events"), "outbox backlog exported");
    assert.ok(total(now, "storefront_outbox_backlog_events") >= 0);
    assert.ok(exported(now, "storefront_outbox_oldest_event_age_seconds"));
    assert.equal(total(now, "storefront_metrics_collector_up", { collector: "outbox" }), 1);
    await waitFor("consumer lag is reported for every group", async () => (await metrics()).filter((s) => s.name === "storefront_kafka_consumer_lag_messages").length >= 5, { timeoutMs: 15_000, intervalMs: 200 });
    const lags = (await metrics()).filter((s) => s.name === "storefront_kafka_consumer_lag_messages");
    for (const lag of lags) assert.ok(Number.isInteger(lag.value) && lag.value >= 0, JSON.stringify(lag));
    assert.ok(lags.some((lag) => /payments/.test(lag.labels.group!)), "the payments group is among them");
    assert.equal(total(await metrics(), "storefront_metrics_collector_up", { collector: "consumer_lag" }), 1);
  });

  it("the embedded bus's lag counts the events a group has yet to handle, and drops to zero once it has", { skip: engines.name !== "embedded" }, async () => {
    // Orders placed above were all handled: every group of the checkout path catches up.
    await waitFor("every group has handled every event", async () => (await metrics()).filter((s) => s.name === "storefront_kafka_consumer_lag_messages").every((s) => s.value === 0), { timeoutMs: 15_000, intervalMs: 100 });
  });

  it("every metric the Grafana dashboard queries is exported by the running platform", async () => {
    const now = await metrics();
    const missing = dashboardMetricNames(JSON.parse(readFileSync("deploy/grafana/storefront.json", "utf8"))).filter((name) => !exported(now, name));
    assert.deepEqual(missing, []);
  });

  it("every metric the Prometheus alert rules read is exported by the running platform", async () => {
    const now = await metrics();
    const missing = alertMetricNames(parse(readFileSync("deploy/prometheus/alerts.yml", "utf8")) as AlertRules).filter((name) => !exported(now, name));
    assert.deepEqual(missing, []);
  });
});
