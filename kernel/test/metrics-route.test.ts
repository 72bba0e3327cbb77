// Who may read /metrics: the bearer token when one is set, anyone in development and tests,
// nobody in production without a token; hostile requests get coded errors, never the series.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after, before, describe, it } from "node:test";
import { closeServer, configureMetrics, listen, loadConfig, metricsAccessFor, serveMetrics, ConfigError } from "#kernel";

const TOKEN = "a-long-random-metrics-token-0123456789";

describe("/metrics access", () => {
  let server: Server;
  let base: string;
  before(async () => {
    server = createServer((req, res) => void serveMetrics(req, res).then((answered) => answered || res.writeHead(418).end()));
    base = `http://127.0.0.1:${await listen(server, 0, "127.0.0.1")}`;
  });
  after(() => closeServer(server));

  const get = (init: RequestInit = {}, path = "/metrics") => fetch(base + path, init);

  it("answers only its own path", async () => {
    configureMetrics({ service: "route-test", access: "open" });
    assert.equal((await get({}, "/metricsx")).status, 418);
    assert.equal((await get({}, "/metrics/")).status, 418);
    assert.equal((await get({}, "/metrics?x=1")).status, 200);
  });

  it("with a token: refuses a missing, wrong, prefixed or differently cased token with UNAUTHENTICATED, and serves the right one", async () => {
    configureMetrics({ service: "route-test", access: metricsAccessFor({ env: "production", metrics: { token: TOKEN } }) });
    for (const authorization of [undefined, "Bearer wrong", `Bearer ${TOKEN}x`, `bearer ${TOKEN}`, TOKEN, `Bearer ${TOKEN.slice(0, -1)}`, `Bearer ${"x".repeat(10_000)}`]) {
      const response = await get(authorization === undefined ? {} : { headers: { authorization } });
      assert.equal(response.status, 401, String(authorization).slice(0, 40));
      const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
      assert.equal(body.errors[0]!.extensions.code, "UNAUTHENTICATED");
      assert.equal(response.headers.get("www-authenticate"), "Bearer");
    }
    const ok = await get({ headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /^nodejs_heap_size_used_bytes\{service="route-test"\} \d/m);
  });

  it("serves HEAD without a body and refuses writes", async () => {
    configureMetrics({ service: "route-test", access: "open" });
    const head = await get({ method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), "");
    const post = await get({ method: "POST", body: "x" });
    assert.equal(post.status, 405);
  });

  it("is absent in production without a token, open in development and test", async () => {
    assert.equal(metricsAccessFor({ env: "production", metrics: {} }), "off");
    assert.equal(metricsAccessFor({ env: "development", metrics: {} }), "open");
    assert.equal(metricsAccessFor({ env: "test", metrics: {} }), "open");
    configureMetrics({ service: "route-test", access: "off" });
    const response = await get();
    assert.equal(response.status, 404);
    assert.doesNotMatch(await response.text(), /nodejs_/);
  });

  it("a short METRICS_TOKEN stops the start", () => {
    assert.throws(() => loadConfig({ APP_ENV: "test", METRICS_TOKEN: "short" }), (error: unknown) => error instanceof ConfigError && /METRICS_TOKEN must be at least 24/.test(error.message));
    assert.equal(loadConfig({ APP_ENV: "test", METRICS_TOKEN: TOKEN }).metrics.token, TOKEN);
  });

  it("many scrapes at once all get the whole exposition", async () => {
    configureMetrics({ service: "route-test", access: "open" });
    const bodies = await Promise.all(Array.from({ length: 20 }, async () => (await get()).text()));
    for (const body of bodies) assert.match(body, /^process_cpu_seconds_total\{service="route-test"\} /m);
  });
});
