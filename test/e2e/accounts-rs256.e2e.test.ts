import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { createAccessTokenIssuer } from "#kernel";
import { startTestSupergraph, type TestSupergraph } from "../support/start-test-supergraph.js";

const pem = () => generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const headerOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split(".")[0]!, "base64url").toString()) as Record<string, string>;

describe("accounts with RS256 access tokens, verified by the gateway through the JWKS", { timeout: 120_000 }, () => {
  let supergraph: TestSupergraph;
  const privateKey = pem();
  before(async () => {
    supergraph = await startTestSupergraph({ env: { JWT_PRIVATE_KEY: privateKey, RATE_LIMIT_AUTH_PER_MINUTE: "100000" } });
  });
  after(() => supergraph?.close());

  const jwksUrl = () => supergraph.subgraphUrls.accounts!.replace(/\/graphql$/, "/.well-known/jwks.json");

  it("signs up with an RS256 token that the gateway accepts, and refreshes into another one", async () => {
    const signUp = await supergraph.query(`mutation { signUp(input: { email: "rsa@example.com", password: "password-rsa", name: "Rsa" }) { accessToken refreshToken user { id } } }`);
    const { accessToken, refreshToken, user } = signUp.data!.signUp;
    const { keys } = (await (await fetch(jwksUrl())).json()) as { keys: { kid: string }[] };
    assert.deepEqual(headerOf(accessToken), { alg: "RS256", kid: keys[0]!.kid });
    assert.equal((await supergraph.query(`{ me { id } }`, {}, accessToken)).data?.me.id, user.id);
    const refreshed = await supergraph.query(`mutation ($t: String!) { refreshToken(refreshToken: $t) { accessToken } }`, { t: refreshToken });
    const next = refreshed.data!.refreshToken.accessToken;
    assert.equal(headerOf(next).alg, "RS256");
    assert.equal((await supergraph.query(`{ me { id } }`, {}, next)).data?.me.id, user.id);
  });

  it("publishes the public key only", async () => {
    const response = await fetch(jwksUrl());
    assert.equal(response.status, 200);
    const { keys } = (await response.json()) as { keys: Record<string, unknown>[] };
    for (const secret of ["d", "p", "q", "dp", "dq", "qi"]) assert.ok(!(secret in keys[0]!), `the JWKS leaks ${secret}`);
  });

  it("refuses HS256 tokens signed with the development secret, and RS256 tokens from another key", async () => {
    const hs256 = await supergraph.token("someone", ["customer", "admin"]);
    const refused = await supergraph.query(`{ me { id } }`, {}, hs256);
    assert.equal(refused.status, 401);
    assert.equal(refused.errors?.[0]?.extensions?.code, "UNAUTHENTICATED");

    const { keys } = (await (await fetch(jwksUrl())).json()) as { keys: { kid: string }[] };
    const impostor = createAccessTokenIssuer({ issuer: "storefront", secret: "unused", privateKeyPem: pem(), ttlSeconds: 60 });
    const forged = (await impostor.issue({ userId: "someone", roles: ["admin"] })).token;
    // Same key id as the real key: only the signature can give it away.
    const [, payload, signature] = forged.split(".");
    const relabelled = [Buffer.from(JSON.stringify({ alg: "RS256", kid: keys[0]!.kid })).toString("base64url"), payload, signature].join(".");
    for (const token of [forged, relabelled]) assert.equal((await supergraph.query(`{ me { id } }`, {}, token)).status, 401);
  });
});
