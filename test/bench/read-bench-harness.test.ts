import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { checkTargetAnswers, checkTargetRefusals } from "../../bench/harness/answer-check.js";
import { hostileTokens, refusedCheck } from "../../bench/harness/hostile-tokens.js";
import { issueAccessToken } from "#kernel";
import { createAccessTokenVerifier } from "../../gateway/src/auth/access-token-verifier.js";
import { firstDifference } from "../../bench/harness/answer-difference.js";
import { runLoad } from "../../bench/harness/load-run.js";
import { stoppedRising, warmUpUntilFlat } from "../../bench/harness/warm-up.js";
import { body, expectData } from "../../bench/scenarios/scenario.js";
import { documentsDesignSizeDataset, externalScenarioFiles, NAMED_ONLY } from "../../bench/scenarios/external-scenarios.js";
import { jwksForSecret, supergraphWithRoutingUrls } from "../../bench/targets/router-files.js";

const SUPERGRAPH = `enum join__Graph {
  CART @join__graph(name: "cart", url: "http://127.0.0.1:4004/graphql")
  PRODUCTS @join__graph(name: "products", url: "http://127.0.0.1:4001/graphql")
}`;

async function listen(server: Server): Promise<string> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
}

test("the routers' supergraph names this run's subgraph addresses and nothing else changes", () => {
  const routed = supergraphWithRoutingUrls(SUPERGRAPH, { cart: "http://127.0.0.1:39001/graphql", products: "http://127.0.0.1:39002/graphql" });
  assert.match(routed, /CART @join__graph\(name: "cart", url: "http:\/\/127\.0\.0\.1:39001\/graphql"\)/);
  assert.match(routed, /PRODUCTS @join__graph\(name: "products", url: "http:\/\/127\.0\.0\.1:39002\/graphql"\)/);
  assert.equal(routed.replace(/url: "[^"]*"/g, ""), SUPERGRAPH.replace(/url: "[^"]*"/g, ""));
});

test("a subgraph the run did not start is an error, not a stale address", () => {
  assert.throws(() => supergraphWithRoutingUrls(SUPERGRAPH, { cart: "http://127.0.0.1:1/graphql" }), /no URL for subgraph products/);
  assert.throws(() => supergraphWithRoutingUrls("type Query { a: Int }", {}), /names no subgraph/);
});

test("a hostile routing URL cannot break out of the directive's string", () => {
  const routed = supergraphWithRoutingUrls(SUPERGRAPH, { cart: 'http://x/"), evil: ("', products: "http://127.0.0.1:2/graphql" });
  assert.match(routed, /url: "http:\/\/x\/\\"\), evil: \(\\""\)/);
});

test("the JWKS carries the HS256 secret as an oct key the routers can verify with", () => {
  const [key] = jwksForSecret("s3cret-with-ünicode").keys;
  assert.equal(key!.kty, "oct");
  assert.equal(key!.alg, "HS256");
  assert.equal(Buffer.from(key!.k!, "base64url").toString(), "s3cret-with-ünicode");
});

test("a difference is named by its path and both values", () => {
  const expected = { cart: { items: [{ product: { stock: 5 } }, { product: { stock: 7 } }] } };
  assert.equal(firstDifference(expected, structuredClone(expected)), undefined);
  assert.equal(firstDifference(expected, { cart: { items: [{ product: { stock: 5 } }, { product: { stock: 6 } }] } }), "cart.items[1].product.stock: expected 7, got 6");
  assert.equal(firstDifference(expected, { cart: { items: [{ product: { stock: 5 } }] } }), 'cart.items[1]: expected {"product":{"stock":7}}, got missing');
  assert.equal(firstDifference({ a: 1, b: 2 }, { b: 2, a: 1 }), undefined, "key order aside");
  assert.match(expectData(expected, "page")(200, JSON.stringify({ data: { cart: { items: [] } } }), {})!, /data differs from the reference \(cart\.items\[0\]: expected/);
});

test("warm-up counts as flat only once two slices set no new best above 5%", () => {
  assert.equal(stoppedRising([100, 100]), false, "too few slices to tell");
  assert.equal(stoppedRising([300, 400, 500]), false);
  assert.equal(stoppedRising([300, 500, 520, 510]), true);
  assert.equal(stoppedRising([300, 500, 520, 515]), true, "4% over the earlier best is noise");
  assert.equal(stoppedRising([300, 500, 520, 600]), false, "a new best 15% higher is still rising");
});

test("warm-up runs slices until flat, and says so when the limit comes first", async () => {
  const rising = [100, 200, 300, 400, 500, 600];
  let i = 0;
  const seen: number[] = [];
  const capped = await warmUpUntilFlat(async () => rising[i++]!, { sliceSeconds: 5, maxSeconds: 20 }, (rps) => seen.push(rps));
  assert.deepEqual(capped, { slices: [100, 200, 300, 400], flat: false });
  assert.deepEqual(seen, [100, 200, 300, 400]);
  const settling = [100, 400, 410, 405, 900];
  i = 0;
  assert.deepEqual(await warmUpUntilFlat(async () => settling[i++]!, { sliceSeconds: 5, maxSeconds: 60 }), { slices: [100, 400, 410, 405], flat: true });
});

test("the answer check before measuring passes a peer with the same data and names what another one got wrong", async () => {
  const expected = { cart: { totalQuantity: 3 } };
  const answers = new Map([
    ["same", JSON.stringify({ data: { cart: { totalQuantity: 3 } } })],
    ["different", JSON.stringify({ data: { cart: { totalQuantity: 4 } } })],
    ["error", JSON.stringify({ errors: [{ message: "boom", extensions: { code: "UNAUTHENTICATED" } }] })],
  ]);
  const server = createServer((request, response) => {
    const mode = request.url!.split("?")[1]!;
    if (mode === "refused") return response.writeHead(401).end("{}");
    response.writeHead(200, { "content-type": "application/json" }).end(answers.get(mode));
  });
  const url = await listen(server);
  try {
    const next = () => ({ body: body("{ cart { totalQuantity } }"), check: expectData(expected, "cart") });
    assert.deepEqual(await checkTargetAnswers(`${url}?same`, next, 4, 2), { checked: 4, problems: [] });
    const different = await checkTargetAnswers(`${url}?different`, next, 4, 2);
    assert.equal(different.problems.length, 4);
    assert.match(different.problems[0]!, /cart\.totalQuantity: expected 3, got 4/);
    assert.match((await checkTargetAnswers(`${url}?error`, next, 1, 1)).problems[0]!, /UNAUTHENTICATED/);
    assert.match((await checkTargetAnswers(`${url}?refused`, next, 1, 1)).problems[0]!, /HTTP 401/);
    assert.match((await checkTargetAnswers("http://127.0.0.1:1/graphql", next, 1, 1)).problems[0]!, /request 1: /);
  } finally {
    server.close();
  }
});

test("under load each virtual client stays one user: every connection sends only its own client's token", async () => {
  const tokensBySocket = new Map<object, Set<string>>();
  const server = createServer((request, response) => {
    const seen = tokensBySocket.get(request.socket) ?? new Set<string>();
    seen.add(String(request.headers.authorization));
    tokensBySocket.set(request.socket, seen);
    request.resume();
    request.on("end", () => response.writeHead(200, { "content-type": "application/json" }).end(`{"data":{"user":"${request.headers.authorization}"}}`));
  });
  const url = await listen(server);
  try {
    const result = await runLoad({
      url,
      connections: 4,
      durationSeconds: 1,
      next: (client) => ({ body: "{}", headers: { authorization: `user-${client}` }, check: (_s, raw) => (raw.includes(`"user-`) ? undefined : "no user") }),
    });
    assert.ok(result.requests > 20, `only ${result.requests} requests`);
    assert.equal(result.wrong, 0);
    const perSocket = [...tokensBySocket.values()];
    assert.ok(perSocket.every((tokens) => tokens.size === 1), `a connection sent several users: ${JSON.stringify(perSocket.map((t) => [...t]))}`);
    assert.deepEqual(new Set(perSocket.flatMap((t) => [...t])), new Set(["user-0", "user-1", "user-2", "user-3"]));
  } finally {
    server.close();
  }
});

test("every hostile token the peers must refuse is one our own gateway refuses, and a genuine one passes", async () => {
  const auth = { secret: "bench-secret-0123456789abcdef0123456789", issuer: "storefront" };
  const verify = createAccessTokenVerifier(auth);
  assert.deepEqual(await verify(await issueAccessToken(auth, { userId: "usr_a", roles: ["customer"] })), { userId: "usr_a", roles: ["customer"] });
  const tokens = await hostileTokens(auth, "usr_a", "usr_b");
  assert.equal(tokens.length, 5);
  for (const { name, token } of tokens) await assert.rejects(verify(token), /invalid|expired|lives longer|names no user/, `${name} was accepted`);
});

test("a refusal passes only when the caller got none of the data", async () => {
  const check = refusedCheck("cart", "forged");
  assert.equal(check(401, "{}"), undefined);
  assert.equal(check(200, JSON.stringify({ data: null, errors: [{ message: "no", extensions: { code: "UNAUTHENTICATED" } }] })), undefined);
  assert.match(check(200, JSON.stringify({ data: { cart: { id: "c1" } } }))!, /answered with cart data/);
  assert.match(check(200, JSON.stringify({ data: { cart: { id: "c1" } }, errors: [{ message: "partial" }] }))!, /answered with cart data/);
  assert.match(check(200, JSON.stringify({ data: {} }))!, /no data and no error/);
  assert.match(check(502, "<html>")!, /not JSON/);

  const server = createServer((request, response) => {
    const leaky = request.headers.authorization === "Bearer leaky";
    response.writeHead(leaky ? 200 : 401, { "content-type": "application/json" }).end(leaky ? '{"data":{"cart":{"id":"c1"}}}' : "{}");
  });
  const url = await listen(server);
  try {
    const refusal = (token: string) => ({ body: "{}", headers: { authorization: `Bearer ${token}` }, check: refusedCheck("cart", token) });
    assert.deepEqual(await checkTargetRefusals(url, [refusal("forged"), refusal("expired")]), []);
    assert.deepEqual(await checkTargetRefusals(url, [refusal("forged"), refusal("leaky")]), ["leaky: answered with cart data"]);
  } finally {
    server.close();
  }
});

test("a run without names leaves out every owner's script whose header documents a design-size dataset", () => {
  const externals = externalScenarioFiles();
  const documented = externals.filter((s) => documentsDesignSizeDataset("bench", s.file.replace(/^bench\//, ""))).map((s) => s.name);
  assert.deepEqual(documented.filter((name) => !NAMED_ONLY.has(name)), [], "a script on a design-size dataset that a bare npm run bench would run");
  // Every name kept apart still names a script: a renamed one would otherwise run again by default.
  assert.deepEqual([...NAMED_ONLY].filter((name) => !externals.some((s) => s.name === name)), []);
  assert.ok(externals.some((s) => !s.namedOnly), "the quick scripts still run by default");
});
