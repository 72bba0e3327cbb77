// A web app built on the API is served from its own origin (a dev server on another port, a
// storefront on its own domain): the browser asks the API before each call with a header
// (a preflight) and lets the page read only answers that name its origin.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Agent, request } from "undici";
import { loadConfig } from "#kernel";
import { createCrossOriginPages } from "../../gateway/src/http/cross-origin-pages.js";
import { startTestSupergraph, type TestSupergraph } from "../support/start-test-supergraph.js";
import { openSocketAs } from "../../gateway/test/support/socket-opening.js";

const APP = "http://localhost:5173";
const OTHER_SITE = "https://evil.example";

/** A request as a browser sends it for a page of `origin` (undici sends Origin as given, as browsers do). */
async function send(url: string, init: { method: string; origin: string; headers?: Record<string, string>; body?: string }) {
  const answer = await request(url, { method: init.method as "POST", headers: { origin: init.origin, ...init.headers }, body: init.body });
  const text = await answer.body.text();
  return { status: answer.statusCode, header: (name: string) => answer.headers[name] as string | undefined, json: () => JSON.parse(text) };
}

const preflight = (url: string, origin: string, headers: string) =>
  send(url, { method: "OPTIONS", origin, headers: { "access-control-request-method": "POST", "access-control-request-headers": headers } });

const post = (url: string, origin: string, query: string, headers: Record<string, string> = {}) =>
  send(url, { method: "POST", origin, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ query }) });

const openSocket = (url: string, origin: string) => openSocketAs(url, { origin });

describe("pages of other origins calling the API from a browser", () => {
  let sg: TestSupergraph;
  before(async () => {
    sg = await startTestSupergraph({ env: { CORS_ALLOWED_ORIGINS: `${APP}, https://shop.example` } });
  });
  after(() => sg.close());

  it("answers an allowed page's preflight with what its calls send: POST, JSON, the token and the guest cart's header", async () => {
    const answer = await preflight(sg.gatewayUrl, APP, "content-type,authorization,x-cart-token");
    assert.equal(answer.status, 204);
    assert.equal(answer.header("access-control-allow-origin"), APP);
    assert.equal(answer.header("access-control-allow-credentials"), "true");
    assert.match(answer.header("access-control-allow-methods") ?? "", /\bPOST\b/);
    for (const name of ["content-type", "authorization", "x-cart-token"]) assert.match(answer.header("access-control-allow-headers") ?? "", new RegExp(`\\b${name}\\b`, "i"));
    assert.ok(Number(answer.header("access-control-max-age")) > 0);
  });

  it("lets an allowed page read its answers, refusals included, with the code, the request id and when to retry", async () => {
    const served = await post(sg.gatewayUrl, APP, `{ product(id: "prod_0000001") { id } }`);
    assert.equal(served.status, 200);
    assert.equal(served.json().data.product.id, "prod_0000001");
    assert.equal(served.header("access-control-allow-origin"), APP);
    assert.match(served.header("access-control-expose-headers") ?? "", /x-request-id/);
    assert.match(served.header("access-control-expose-headers") ?? "", /retry-after/);
    // Both, for the page's origin and the media type it accepts decide what a shared cache may reuse.
    assert.match(served.header("vary") ?? "", /\borigin\b/i);
    assert.match(served.header("vary") ?? "", /\baccept\b/i);

    const expired = await sg.token("cors-expired-user", ["customer"], -60);
    const refused = await post(sg.gatewayUrl, APP, "{ me { id } }", { authorization: `Bearer ${expired}` });
    assert.equal(refused.status, 401);
    assert.equal(refused.json().errors[0].extensions.code, "UNAUTHENTICATED");
    assert.equal(refused.header("access-control-allow-origin"), APP, "a refusal the page cannot read is a bare network error to it");

    const badCart = await post(sg.gatewayUrl, "https://shop.example", "{ cart { id } }", { "x-cart-token": "forged" });
    assert.equal(badCart.json().errors[0].extensions.code, "BAD_USER_INPUT");
    assert.equal(badCart.header("access-control-allow-origin"), "https://shop.example");
  });

  it("tells another site's preflight FORBIDDEN, naming the setting, and lets that site's pages read no answer", async () => {
    const answer = await preflight(sg.gatewayUrl, OTHER_SITE, "content-type");
    assert.equal(answer.status, 403);
    assert.equal(answer.json().errors[0].extensions.code, "FORBIDDEN");
    assert.match(answer.json().errors[0].message, /CORS_ALLOWED_ORIGINS/);
    assert.equal(answer.header("access-control-allow-origin"), undefined);
    const long = await preflight(sg.gatewayUrl, `https://${"a".repeat(10_000)}.example`, "content-type");
    assert.equal(long.status, 403);
    assert.ok(long.json().errors[0].message.length < 300, "a refusal quotes no origin longer than an origin is");
    for (const origin of [OTHER_SITE, "null", "http://localhost:5174"]) {
      const served = await post(sg.gatewayUrl, origin, `{ product(id: "prod_0000001") { id } }`);
      assert.equal(served.header("access-control-allow-origin"), undefined, origin);
    }
  });

  it("lets an allowed page open the live order socket, and no other site's", async () => {
    assert.equal(await openSocket(sg.gatewayUrl, APP), "acknowledged");
    assert.equal(await openSocket(sg.gatewayUrl, OTHER_SITE), "refused 401");
  });
});

describe("pages of other origins: preflights are requests the door counts", () => {
  let sg: TestSupergraph;
  const agent = new Agent({ localAddress: "127.0.0.61", connections: 1 });
  before(async () => {
    sg = await startTestSupergraph({ env: { CORS_ALLOWED_ORIGINS: APP, RATE_LIMIT_OTHER_REQUESTS_PER_MINUTE: "10" } });
  });
  after(async () => {
    await agent.close();
    await sg.close();
  });

  it("refuses a network's preflights past the budget of requests no operation counts, allowed page or not, and the allowed page reads the refusal", async () => {
    const ask = async (origin: string) => {
      const answer = await request(sg.gatewayUrl, { method: "OPTIONS", dispatcher: agent, headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" } });
      const text = await answer.body.text();
      return { status: answer.statusCode, allowOrigin: answer.headers["access-control-allow-origin"], code: text ? JSON.parse(text).errors?.[0]?.extensions : undefined };
    };
    const answers = [];
    for (let i = 0; i < 14; i++) answers.push(await ask(i % 2 === 0 ? APP : OTHER_SITE));
    assert.deepEqual(answers.slice(0, 10).map((answer) => answer.status), [204, 403, 204, 403, 204, 403, 204, 403, 204, 403]);
    for (const answer of answers.slice(10)) {
      assert.equal(answer.status, 429);
      assert.equal(answer.code?.code, "RATE_LIMITED");
      assert.equal(answer.code?.budget, "other_requests");
    }
    assert.equal(answers[10]!.allowOrigin, APP, "a page allowed to call the API reads why it was refused");
    assert.equal(answers[11]!.allowOrigin, undefined);
  });
});

describe("which pages may call the API by default", () => {
  it("in development, every page served from this machine, on any port: a web app's dev server works with no setting", () => {
    const pages = createCrossOriginPages(loadConfig({ APP_ENV: "development" }).gateway.crossOrigin);
    for (const origin of ["http://localhost:5173", "http://127.0.0.1:3000", "http://[::1]:8080", "http://app.localhost:5173", "https://localhost"]) assert.equal(pages.allows(origin), true, origin);
    // A page whose domain was re-pointed at 127.0.0.1 still names its own domain.
    for (const origin of ["http://evil.example:5173", "http://localhost.evil.example", "null", "file://"]) assert.equal(pages.allows(origin), false, origin);
  });

  it("in production and test, only the origins CORS_ALLOWED_ORIGINS names, which must be origins", () => {
    for (const APP_ENV of ["production", "test"]) {
      const env = { APP_ENV, JWT_SECRET: "production-test-secret-0123456789abcdef", JWT_AUDIENCE: "storefront-cors-test", INTERNAL_SECRET: "production-test-internal-0123456789abcdef" };
      assert.equal(createCrossOriginPages(loadConfig(env).gateway.crossOrigin).allows("http://localhost:5173"), false, APP_ENV);
      const named = createCrossOriginPages(loadConfig({ ...env, CORS_ALLOWED_ORIGINS: "https://www.shop.example/" }).gateway.crossOrigin);
      assert.equal(named.allows("https://www.shop.example"), true);
      assert.equal(named.allows("https://m.shop.example"), false);
    }
    assert.throws(() => loadConfig({ APP_ENV: "test", CORS_ALLOWED_ORIGINS: "https://shop.example/path" }), /CORS_ALLOWED_ORIGINS/);
  });
});
