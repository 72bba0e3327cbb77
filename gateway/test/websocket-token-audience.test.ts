// A token not issued for this deployment is refused at connection_init as one the session's
// refresh token cures (4401, which clients answer by renewing and subscribing again), not as a
// refusal they give up on (4403): right after the upgrade that added audiences, every signed-in
// client's socket reconnects with a token from before them.
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { SignJWT } from "jose";
import { createAccessTokenIssuer } from "#kernel";
import { createAccessTokenVerifier } from "../src/auth/access-token-verifier.js";
import { RawGraphQLSocket } from "../../test/support/raw-graphql-websocket.js";
import { startWebSocketGateway } from "./support/websocket-gateway.js";

const AUTH = { secret: "websocket-token-audience-secret-0123456789", issuer: "test" };

const execute = async () => ({ data: { me: null } });

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function closeAtInit(url: string, token: string) {
  const socket = await RawGraphQLSocket.open(url);
  socket.send({ type: "connection_init", payload: { authorization: `Bearer ${token}` } });
  const closed = await socket.closedWith();
  assert.equal(socket.messages.filter((m) => m.type === "connection_ack").length, 0, "never acknowledged");
  return closed;
}

describe("WebSocket: a token of another deployment, or from before audiences", () => {
  it("is closed 4401 at connection_init, saying to renew, while a forged one stays 4403", async () => {
    const gateway = await startWebSocketGateway({ execute, verify: createAccessTokenVerifier({ ...AUTH, audience: "storefront-production" }) });
    close = gateway.close;
    const nowSeconds = Math.floor(Date.now() / 1000);
    const beforeAudiences = await new SignJWT({ roles: ["customer"] })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("usr_upgraded")
      .setIssuer(AUTH.issuer)
      .setIssuedAt(nowSeconds)
      .setExpirationTime(nowSeconds + 900)
      .sign(new TextEncoder().encode(AUTH.secret));
    const staging = (await createAccessTokenIssuer({ ...AUTH, audience: "storefront-staging", ttlSeconds: 900 }).issue({ userId: "usr_upgraded", roles: ["customer"] })).token;
    for (const token of [beforeAudiences, staging]) {
      const closed = await closeAtInit(gateway.url, token);
      assert.equal(closed.code, 4401);
      assert.match(closed.reason, /not issued for this store; renew it/);
    }
    const forged = `${staging.slice(0, staging.lastIndexOf(".") + 1)}${"A".repeat(43)}`;
    assert.equal((await closeAtInit(gateway.url, forged)).code, 4403);
    const production = (await createAccessTokenIssuer({ ...AUTH, audience: "storefront-production", ttlSeconds: 900 }).issue({ userId: "usr_upgraded", roles: ["customer"] })).token;
    const accepted = await RawGraphQLSocket.connect(gateway.url, production);
    accepted.close();
  });
});
