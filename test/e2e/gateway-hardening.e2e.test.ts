import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { startPersistedOnlySupergraph, startTestSupergraph, type TestSupergraph } from "../support/start-test-supergraph.js";
import { postGraphQL, wsClient } from "../support/graphql-client.js";
import { Agent, fetch as undiciFetch } from "undici";
import { operationId } from "../../gateway/src/security/persisted-operations.js";

const LEGIT = `{ product(id: "prod_0000001") { id name } }`;

async function assertLegitStillServed(sg: TestSupergraph, token?: string) {
  const res = await sg.query(LEGIT, {}, token);
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  assert.equal(res.data!.product.id, "prod_0000001");
}

describe("gateway hardening: each attack is refused with its code while legitimate traffic goes on", () => {
  let sg: TestSupergraph;
  let token: string;
  before(async () => {
    sg = await startTestSupergraph({ env: { MAX_QUERY_DEPTH: "4", RATE_LIMIT_SEARCH_PER_MINUTE: "3" } });
    token = await sg.token("hardening-user");
  });
  after(() => sg.close());

  it("tells a browser tab on /graphql and a query posted as text how to send one, refusing them before admission", async () => {
    const tab = await fetch(sg.gatewayUrl, { headers: { accept: "text/html" } });
    const tabAnswer = (await tab.json()) as { errors: { message: string; extensions: { code: string } }[] };
    assert.equal(tab.status, 400);
    assert.match(tabAnswer.errors[0]!.message, /^The request has no query: POST \{"query".*\/explorer/);
    // The code the same request gets when it is admitted (with a preflight header) and when it is posted empty.
    assert.equal(tabAnswer.errors[0]!.extensions.code, "BAD_USER_INPUT");
    for (const sent of [
      fetch(sg.gatewayUrl, { headers: { "apollo-require-preflight": "true" } }),
      fetch(sg.gatewayUrl, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }),
    ]) {
      const answer = (await (await sent).json()) as { errors: { extensions: { code: string } }[] };
      assert.equal(answer.errors[0]!.extensions.code, "BAD_USER_INPUT");
    }
    const text = await fetch(sg.gatewayUrl, { method: "POST", headers: { "content-type": "text/plain" }, body: "{ me { id } }" });
    const textAnswer = (await text.json()) as { errors: { message: string }[] };
    assert.equal(text.status, 400);
    assert.match(textAnswer.errors[0]!.message, /Cross-Site Request Forgery.*To send a query: POST .*content-type application\/json/);
    await assertLegitStillServed(sg, token);
  });

  it("marks every answer nosniff, JSON and text alike: GraphQL, its refusals, health, readiness, an image's 4xx, a subgraph's", async () => {
    const origin = new URL(sg.gatewayUrl).origin;
    const answers = [
      await fetch(sg.gatewayUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: LEGIT }) }),
      await fetch(sg.gatewayUrl, { method: "POST", headers: { "content-type": "application/json" }, body: "{" }),
      await fetch(`${origin}/healthz`),
      await fetch(`${origin}/readyz`),
      await fetch(`${origin}/images/products/no-such-image.webp`),
      await fetch(`${origin}/images/x`, { method: "DELETE" }),
      await fetch(`${origin}/no-such-page`),
      await fetch(`${new URL(sg.subgraphUrls.products!).origin}/readyz`),
    ];
    for (const answer of answers) {
      await answer.arrayBuffer();
      assert.equal(answer.headers.get("x-content-type-options"), "nosniff", `${answer.url} ${answer.status}`);
    }
    assert.deepEqual(
      answers.map((answer) => answer.status),
      [200, 400, 200, 200, 404, 405, 404, 200],
    );
  });

  it("refuses an over-deep query (QUERY_TOO_COMPLEX)", async () => {
    const res = await sg.query(`{ products(first: 1) { edges { node { images { url } } } } }`, {}, token);
    assert.equal(res.status, 400);
    assert.equal(res.errors?.[0]?.extensions?.code, "QUERY_TOO_COMPLEX");
    assert.equal(res.errors?.[0]?.extensions?.depth, 5);
    await assertLegitStillServed(sg, token);
  });

  it("refuses an alias flood (QUERY_TOO_COMPLEX)", async () => {
    const fields = Array.from({ length: 31 }, (_, i) => `p${i}: product(id: "prod_0000001") { id }`).join(" ");
    const res = await sg.query(`{ ${fields} }`, {}, token);
    assert.equal(res.errors?.[0]?.extensions?.code, "QUERY_TOO_COMPLEX");
    assert.equal(res.errors?.[0]?.extensions?.aliases, 31);
    await assertLegitStillServed(sg, token);
  });

  it("refuses a costly query, counting page sizes given in variables", async () => {
    const page = (i: number) => `l${i}: products(first: $n) { edges { node { id name sku brand category description } } }`;
    const res = await sg.query(`query($n: Int) { ${Array.from({ length: 20 }, (_, i) => page(i)).join(" ")} }`, { n: 100 }, token);
    assert.equal(res.errors?.[0]?.extensions?.code, "QUERY_TOO_COMPLEX");
    assert.ok(res.errors?.[0]?.extensions?.cost > 10_000);
    const cheap = await sg.query(`query($n: Int) { ${page(0)} }`, { n: 5 }, token);
    assert.equal(cheap.errors, undefined);
  });

  it("points a syntax error, an unknown field and a too costly page at their line and column, over HTTP and WebSocket alike", async () => {
    const broken = `query {\n  search(query: "lamp") { totalCount }\n  product(id: "prod_0000001") { name`;
    const costly = `{\n  products(first: 5000) { edges { node { name sku brand description } } }\n}`;
    const parse = await sg.query(broken, {}, token);
    assert.equal(parse.status, 400);
    assert.equal(parse.errors?.[0]?.extensions?.code, "GRAPHQL_PARSE_FAILED");
    assert.deepEqual(parse.errors?.[0]?.locations, [{ line: 3, column: 37 }]);
    const cost = await sg.query(costly, {}, token);
    assert.equal(cost.errors?.[0]?.extensions?.code, "QUERY_TOO_COMPLEX");
    assert.equal(cost.errors?.[0]?.extensions?.argument, "first");
    assert.deepEqual(cost.errors?.[0]?.locations, [{ line: 2, column: 3 }]);
    const ws = wsClient(sg.gatewayUrl, token);
    try {
      const overWs = await new Promise<readonly { locations?: unknown; extensions?: Record<string, unknown> }[]>((resolve, reject) => {
        ws.subscribe({ query: costly }, { next: () => reject(new Error("answered")), error: (errors) => resolve(errors as never), complete: () => reject(new Error("completed")) });
      });
      assert.equal(overWs[0]?.extensions?.code, "QUERY_TOO_COMPLEX");
      assert.deepEqual(overWs[0]?.locations, [{ line: 2, column: 3 }]);
      const brokenOverWs = await new Promise<readonly { locations?: unknown; extensions?: Record<string, unknown> }[]>((resolve, reject) => {
        ws.subscribe({ query: broken }, { next: () => reject(new Error("answered")), error: (errors) => resolve(errors as never), complete: () => reject(new Error("completed")) });
      });
      assert.equal(brokenOverWs[0]?.extensions?.code, "GRAPHQL_PARSE_FAILED");
      assert.deepEqual(brokenOverWs[0]?.locations, [{ line: 3, column: 37 }]);
      // Validated as sent: the place is in the client's text, not in a reprint of it.
      const unknownField = `{ search(query: "lamp", first: 3) { total } }`;
      const invalid = await new Promise<readonly { locations?: unknown; extensions?: Record<string, unknown> }[]>((resolve, reject) => {
        ws.subscribe({ query: unknownField }, { next: (result) => resolve((result.errors ?? []) as never), error: reject, complete: () => undefined });
      });
      assert.equal(invalid[0]?.extensions?.code, "GRAPHQL_VALIDATION_FAILED");
      assert.deepEqual(invalid[0]?.locations, [{ line: 1, column: unknownField.indexOf("total }") + 1 }]);
      assert.deepEqual((await sg.query(unknownField, {}, token)).errors?.[0]?.locations, invalid[0]?.locations, "as over HTTP");
    } finally {
      await ws.dispose();
    }
  });

  it("tells a refused request of its first ten validation errors and its first invalid variable value, over HTTP and WebSocket alike (red team: 100 errors took 15-18 ms, 9,000 invalid values 1.4 s)", async () => {
    const unknownFields = `{ ${Array.from({ length: 100 }, (_, i) => `prodcut${i}`).join(" ")} }`;
    // Not a search: this suite's search budget is 3 a minute.
    const listing = `query Listing($options: [OptionFilterInput!]) { products(first: 1, filter: { options: $options }) { edges { node { id } } } }`;
    const options = Array.from({ length: 2_000 }, (_, i) => ({ nam: `Size${i}` }));
    const overHttp = await sg.query(unknownFields, {}, token);
    assert.equal(overHttp.status, 400);
    assert.equal(overHttp.errors?.length, 11, "ten, then that validation stopped");
    assert.ok(overHttp.errors!.every((error) => error.extensions?.code === "GRAPHQL_VALIDATION_FAILED"));
    const variablesOverHttp = await sg.query(listing, { options }, token);
    assert.equal(variablesOverHttp.status, 400);
    assert.deepEqual(variablesOverHttp.errors?.map((error) => error.extensions?.code), ["BAD_USER_INPUT"]);
    const ws = wsClient(sg.gatewayUrl, token);
    const overWs = (payload: { query: string; variables?: Record<string, unknown> }) =>
      new Promise<readonly { extensions?: Record<string, unknown> }[]>((resolve, reject) => {
        ws.subscribe(payload, { next: (result) => resolve((result.errors ?? []) as never), error: (errors) => resolve(errors as never), complete: () => undefined });
        setTimeout(() => reject(new Error("no answer")), 10_000).unref();
      });
    try {
      assert.equal((await overWs({ query: unknownFields })).length, 11);
      assert.deepEqual((await overWs({ query: listing, variables: { options } })).map((error) => error.extensions?.code), ["BAD_USER_INPUT"]);
    } finally {
      await ws.dispose();
    }
    await assertLegitStillServed(sg, token);
  });

  it("refuses a batch flood but serves a small batch", async () => {
    const post = (count: number) =>
      fetch(sg.gatewayUrl, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify(Array.from({ length: count }, () => ({ query: LEGIT }))),
      });
    const flood = await post(11);
    assert.equal(flood.status, 400);
    assert.equal(((await flood.json()) as any).errors[0].extensions.code, "BAD_USER_INPUT");
    const small = (await (await post(3)).json()) as any[];
    assert.equal(small.length, 3);
    assert.ok(small.every((r) => r.data.product.id === "prod_0000001"));
  });

  it("refuses an oversized body with 413 before parsing it", async () => {
    const res = await postGraphQL(sg.gatewayUrl, LEGIT, { padding: "x".repeat(200_000) }, { token });
    assert.equal(res.status, 413);
    assert.equal(res.errors?.[0]?.extensions?.code, "BAD_USER_INPUT");
    await assertLegitStillServed(sg, token);
  });

  it("refuses cross-site simple requests (CSRF prevention)", async () => {
    const res = await fetch(`${sg.gatewayUrl}?query=${encodeURIComponent(LEGIT)}`, { method: "GET" });
    assert.equal(res.status, 400);
    const preflighted = await fetch(`${sg.gatewayUrl}?query=${encodeURIComponent(LEGIT)}`, { headers: { "apollo-require-preflight": "true" } });
    assert.equal(preflighted.status, 200);
  });

  it("charges search against its own budget with a retry-after hint, leaving other reads alone", async () => {
    const searcher = await sg.token("searcher");
    const search = `{ search(query: "lamp") { totalCount } }`;
    for (let i = 0; i < 3; i++) await sg.query(search, {}, searcher);
    const refused = await sg.query(search, {}, searcher);
    assert.equal(refused.status, 429);
    assert.equal(refused.errors?.[0]?.extensions?.code, "RATE_LIMITED");
    assert.ok(refused.errors?.[0]?.extensions?.retryAfterSeconds >= 1);
    assert.ok(Number(refused.headers.get("retry-after")) >= 1);
    await assertLegitStillServed(sg, searcher);
  });
});

describe("gateway hardening: per-caller rate limit", () => {
  let sg: TestSupergraph;
  before(async () => {
    sg = await startTestSupergraph({ env: { RATE_LIMIT_PER_MINUTE: "5" } });
  });
  after(() => sg.close());

  it("stops one caller past the limit with RATE_LIMITED while another caller is served", async () => {
    const greedy = await sg.token("greedy");
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await sg.query(LEGIT, {}, greedy)).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);
    const refused = await sg.query(LEGIT, {}, greedy);
    assert.equal(refused.errors?.[0]?.extensions?.code, "RATE_LIMITED");
    // The refusal ends its connection: a client ignoring retry-after sent 1,400 refusals a second
    // down one pipelined connection (28% of a core), where each new one is now a connection counted.
    assert.equal(refused.headers.get("connection"), "close");
    await assertLegitStillServed(sg, await sg.token("polite"));
  });
});

describe("gateway hardening: anonymous callers behind a proxy are counted by network", () => {
  let sg: TestSupergraph;
  before(async () => {
    sg = await startTestSupergraph({ env: { RATE_LIMIT_PER_MINUTE: "5", TRUST_PROXY: "true" } });
  });
  after(() => sg.close());

  it("gives an IPv6 /64 one budget however many of its addresses it uses, and each IPv4 address its own", async () => {
    // Every address of the /64 written differently (compressed, zero-padded, upper case).
    const rotating = ["2001:db8:1:2::1", "2001:0db8:0001:0002::2", "2001:DB8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::4", "2001:db8:1:2:ffff::5", "2001:db8:1:2::6", "2001:db8:1:2::7"];
    const statuses: number[] = [];
    for (const address of rotating) statuses.push((await postGraphQL(sg.gatewayUrl, LEGIT, {}, { headers: { "x-forwarded-for": address } })).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
    assert.equal((await postGraphQL(sg.gatewayUrl, LEGIT, {}, { headers: { "x-forwarded-for": "2001:db8:1:3::1" } })).status, 200, "the next /64 is someone else");
    for (let i = 1; i <= 7; i++) assert.equal((await postGraphQL(sg.gatewayUrl, LEGIT, {}, { headers: { "x-forwarded-for": `198.51.100.${i}` } })).status, 200, "IPv4 neighbours are separate callers");
  });

  it("counts the address the proxy appended, not what the client wrote before it in the header", async () => {
    // The proxy appends the address it saw (203.0.113.7) after the client's own X-Forwarded-For.
    const statuses: number[] = [];
    for (let i = 1; i <= 7; i++) statuses.push((await postGraphQL(sg.gatewayUrl, LEGIT, {}, { headers: { "x-forwarded-for": `10.9.8.${i}, 203.0.113.7` } })).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
  });
});

describe("gateway hardening: X-Forwarded-For is believed of the named proxies alone", () => {
  let sg: TestSupergraph;
  before(async () => {
    sg = await startTestSupergraph({ env: { RATE_LIMIT_PER_MINUTE: "5", TRUST_PROXY: "127.0.0.2, 2001:db8:f::/48" } });
  });
  after(() => sg.close());

  /** The status of one query sent from `from` with this X-Forwarded-For. */
  const statusFrom = async (from: string, forwardedFor: string) => {
    const dispatcher = new Agent({ localAddress: from });
    try {
      const response = await undiciFetch(sg.gatewayUrl, { method: "POST", dispatcher, headers: { "content-type": "application/json", "x-forwarded-for": forwardedFor }, body: JSON.stringify({ query: LEGIT }) });
      await response.arrayBuffer();
      return response.status;
    } finally {
      await dispatcher.close();
    }
  };

  it("counts a client that reaches the gateway past the proxy by its socket, whatever address it writes", async () => {
    // With TRUST_PROXY=true, each forged address here was a new caller with a budget of its own.
    const statuses: number[] = [];
    for (let i = 1; i <= 7; i++) statuses.push(await statusFrom("127.0.0.5", `198.51.100.${i}`));
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
  });

  it("counts the closest hop that is not a proxy on the proxy's connections", async () => {
    const statuses: number[] = [];
    for (let i = 1; i <= 7; i++) statuses.push(await statusFrom("127.0.0.2", `10.9.8.${i}, 203.0.113.9, 2001:db8:f:1::2`));
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429], "the client's own entries before 203.0.113.9 buy nothing");
    for (let i = 1; i <= 7; i++) assert.equal(await statusFrom("127.0.0.2", `198.18.0.${i}`), 200, "each client behind the proxy has its own budget");
  });
});

describe("gateway hardening: tokens of free accounts buy no budget", () => {
  let sg: TestSupergraph;
  before(async () => {
    // Each network is an X-Forwarded-For address; ceiling per network: 3 x 5 operations a minute.
    sg = await startTestSupergraph({ env: { RATE_LIMIT_PER_MINUTE: "5", RATE_LIMIT_NETWORK_MULTIPLE: "3", RATE_LIMIT_AUTH_PER_MINUTE: "10", TRUST_PROXY: "true" } });
  });
  after(() => sg.close());

  const SIGN_UP = `mutation ($input: SignUpInput!) { signUp(input: $input) { accessToken user { id } } }`;
  const from = (network: string, token?: string) => ({ token, headers: { "x-forwarded-for": network } });

  it("refuses the 11th signUp from one network even when each carries the token of the account the one before made", async () => {
    const network = "198.51.100.10";
    let token: string | undefined;
    const codes: string[] = [];
    for (let i = 0; i < 12; i++) {
      const input = { email: `rotator-${i}-${randomUUID().slice(0, 8)}@example.com`, password: "password-rotator", name: "Rotator" };
      const answer = await postGraphQL(sg.gatewayUrl, SIGN_UP, { input }, from(network, token));
      codes.push(answer.errors?.[0]?.extensions?.code ?? "OK");
      if (answer.data?.signUp) token = answer.data.signUp.accessToken as string;
    }
    assert.deepEqual(codes, [...Array(10).fill("OK"), "RATE_LIMITED", "RATE_LIMITED"]);
    // The budget refused is auth alone: the last account's ordinary reads are served.
    const read = await postGraphQL(sg.gatewayUrl, LEGIT, {}, from(network, token));
    assert.equal(read.errors, undefined, JSON.stringify(read.errors));
  });

  it("caps one network's operations over all its accounts, while a customer on another network is served", async () => {
    const network = "198.51.100.20";
    const statuses: number[] = [];
    for (let account = 0; account < 4; account++) {
      const token = await sg.token(`free-account-${account}-${randomUUID()}`);
      for (let i = 0; i < 5; i++) statuses.push((await postGraphQL(sg.gatewayUrl, LEGIT, {}, from(network, token))).status);
    }
    assert.deepEqual(statuses, [...Array(15).fill(200), ...Array(5).fill(429)]);
    const customer = await sg.token(`customer-${randomUUID()}`);
    for (let i = 0; i < 5; i++) assert.equal((await postGraphQL(sg.gatewayUrl, LEGIT, {}, from("198.51.100.30", customer))).status, 200);
  });
});

describe("gateway hardening: one abuser behind a shared address cannot sign everyone there out", () => {
  let sg: TestSupergraph;
  before(async () => {
    sg = await startTestSupergraph({ env: { RATE_LIMIT_NETWORK_MULTIPLE: "3", RATE_LIMIT_AUTH_PER_MINUTE: "10", TRUST_PROXY: "true" } });
  });
  after(() => sg.close());

  const from = (network: string) => ({ headers: { "x-forwarded-for": network } });
  const LOG_IN = `mutation ($email: String!) { logIn(email: $email, password: "not-the-password") { accessToken } }`;

  it("gives refreshes and log-ins the network multiple of the auth budget, counting every aliased refresh", async () => {
    const office = "198.51.100.40";
    // One abuser sends ten garbage refresh tokens in one batch (the whole auth budget before).
    const batch = await fetch(sg.gatewayUrl, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-for": office },
      body: JSON.stringify(Array.from({ length: 10 }, () => ({ query: `mutation { refreshToken(refreshToken: "${randomUUID()}") { accessToken } }` }))),
    });
    const answers = (await batch.json()) as { errors?: { extensions?: { code?: string } }[] }[];
    assert.deepEqual(answers.map((a) => a.errors?.[0]?.extensions?.code), Array(10).fill("UNAUTHENTICATED"));
    // Everyone else at the office still logs in: 30 sign-in points a minute from the address
    // (a wrong password each here, for accounts that do not exist), refused only past that.
    const codes: string[] = [];
    for (let i = 0; i < 21; i++) codes.push((await postGraphQL(sg.gatewayUrl, LOG_IN, { email: `colleague-${i}-${randomUUID().slice(0, 6)}@example.com` }, from(office))).errors?.[0]?.extensions?.code ?? "OK");
    assert.deepEqual(codes, [...Array(20).fill("UNAUTHENTICATED"), "RATE_LIMITED"]);
    // Aliased refreshes in one operation each cost a point: 25 of them from a fresh address are
    // refused whole once past the 30 (5 spent first), nothing looked up.
    const other = "198.51.100.41";
    for (let i = 0; i < 5; i++) await postGraphQL(sg.gatewayUrl, `mutation { refreshToken(refreshToken: "${randomUUID()}") { accessToken } }`, {}, from(other));
    const aliased = await postGraphQL(sg.gatewayUrl, `mutation { ${Array.from({ length: 26 }, (_, i) => `r${i}: refreshToken(refreshToken: "${randomUUID()}") { accessToken }`).join(" ")} }`, {}, from(other));
    assert.equal(aliased.errors?.[0]?.extensions?.code, "RATE_LIMITED", JSON.stringify(aliased.errors?.[0]));
  });

});

describe("gateway hardening: a network's guests are charged what their requests resolved (attack run 3, F1)", () => {
  let sg: TestSupergraph;
  before(async () => {
    // A network's guests share a pool of the cost budget times the network multiple: 1 here,
    // so the pool is 20,000 and three of these requests at their measure would spend it.
    sg = await startTestSupergraph({ env: { RATE_LIMIT_COST_PER_MINUTE: "20000", RATE_LIMIT_NETWORK_MULTIPLE: "1", TRUST_PROXY: "true" } });
  });
  after(() => sg.close());

  const from = (network: string) => ({ headers: { "x-forwarded-for": network } });
  const missing = (i: number) => `m${i}: product(id: "nope-${i}") { variants { images { url } options { name value } } }`;
  // Measured 8,406: three products at their declared maxima.
  const ATTACK = `{ ${[0, 1, 2].map(missing).join(" ")} }`;

  it("charges requests for products that do not exist their nulls: twelve of them leave the office's guests browsing", async () => {
    const office = "198.51.100.60";
    // Planning a text is charged to whoever sends it first (up to 20,000 at the deposit, more than
    // half of this small pool beside the measure): another address sends both texts first, so the
    // office is charged what its requests resolved (each from an address of its own: one such
    // deposit fills this pool).
    for (const [i, text] of [ATTACK, LEGIT].entries()) assert.equal((await postGraphQL(sg.gatewayUrl, text, {}, from(`198.51.100.${58 + i}`))).errors, undefined);
    const codes: string[] = [];
    for (let i = 0; i < 10; i++) codes.push((await postGraphQL(sg.gatewayUrl, ATTACK, {}, from(office))).errors?.[0]?.extensions?.code ?? "OK");
    // Three were the whole 20,000 before.
    assert.deepEqual(codes, Array(10).fill("OK"));
    const batch = await fetch(sg.gatewayUrl, { method: "POST", headers: { "content-type": "application/json", ...from(office).headers }, body: JSON.stringify([{ query: ATTACK }, { query: ATTACK }]) });
    codes.push(...((await batch.json()) as { errors?: { extensions?: { code?: string } }[] }[]).map((a) => a.errors?.[0]?.extensions?.code ?? "OK"));
    assert.deepEqual(codes, Array(12).fill("OK"), "a batch's answers settle each operation");
    const guest = await postGraphQL(sg.gatewayUrl, LEGIT, {}, from(office));
    assert.equal(guest.errors, undefined, JSON.stringify(guest.errors));
  });

  it("still answers logIn from a network whose guest cost budget was spent on real work", async () => {
    const office = "198.51.100.61";
    // 40 products' stock, each weighing its variants: 8,241 measured and resolved.
    const STOCK = `{ products(first: 40) { edges { node { stock inStock } } } }`;
    let spent = false;
    for (let i = 0; i < 5 && !spent; i++) spent = (await postGraphQL(sg.gatewayUrl, STOCK, {}, from(office))).errors?.[0]?.extensions?.budget === "cost";
    assert.ok(spent, "the guests' cost budget is spent: a page of stock is refused");
    const logIn = await postGraphQL(sg.gatewayUrl, `mutation { logIn(email: "colleague@example.com", password: "not-the-password") { accessToken } }`, {}, from(office));
    assert.equal(logIn.errors?.[0]?.extensions?.code, "UNAUTHENTICATED", "judged on its password, not refused for the budget");
  });
});

describe("gateway hardening: production mode", () => {
  let sg: TestSupergraph;
  before(async () => {
    sg = await startPersistedOnlySupergraph([LEGIT]);
  });
  after(() => sg.close());

  it("serves allow-listed operations, by text or by hash alone", async () => {
    await assertLegitStillServed(sg);
    const byHash = await fetch(sg.gatewayUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: operationId(LEGIT) } } }),
    });
    assert.equal(((await byHash.json()) as any).data.product.id, "prod_0000001");
  });

  it("refuses operations outside the allow-list (OPERATION_NOT_ALLOWED)", async () => {
    const res = await sg.query(`{ product(id: "prod_0000002") { id } }`);
    assert.equal(res.status, 400);
    assert.equal(res.errors?.[0]?.extensions?.code, "OPERATION_NOT_ALLOWED");
  });

  it("keeps introspection off and leaks no internals", async () => {
    const introspection = await sg.query(`{ __schema { types { name } } }`);
    assert.ok(introspection.errors?.length);
    assert.equal(introspection.data, undefined);
  });
});
