// A token's expiry is judged once, by the verifier, for HTTP and WebSocket alike: a socket is
// refused with a token HTTP refuses, and one it accepted closes when HTTP starts refusing.
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { SignJWT } from "jose";
import { DEFAULT_TOKEN_AUDIENCE } from "#kernel";
import { createAccessTokenVerifier, InvalidTokenError } from "../src/auth/access-token-verifier.js";
import { authenticate } from "../src/auth/authenticate-request.js";
import { RawGraphQLSocket } from "../../test/support/raw-graphql-websocket.js";
import { startWebSocketGateway } from "./support/websocket-gateway.js";

const AUTH = { secret: "websocket-token-expiry-secret-0123456789", issuer: "test" };

const signed = (iat: number, exp: number) =>
  new SignJWT({ roles: ["customer"] }).setProtectedHeader({ alg: "HS256" }).setSubject("usr_expiring").setIssuer(AUTH.issuer).setAudience(DEFAULT_TOKEN_AUDIENCE).setIssuedAt(iat).setExpirationTime(exp).sign(new TextEncoder().encode(AUTH.secret));

const execute = async () => ({ data: { me: null } });

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

describe("WebSocket: a token's expiry as HTTP judges it", () => {
  it("refuses at connection_init a token that expired seconds ago, as HTTP refuses it, rather than acknowledge and close it", async () => {
    const verify = createAccessTokenVerifier(AUTH);
    const gateway = await startWebSocketGateway({ execute, verify });
    close = gateway.close;
    const nowSeconds = Math.floor(Date.now() / 1000);
    // Within the 30 s clock skew the verifier used to excuse past exp: HTTP served it while a socket was closed at once.
    const expired = await signed(nowSeconds - 900, nowSeconds - 10);
    await assert.rejects(authenticate(verify, `Bearer ${expired}`), (error) => error instanceof InvalidTokenError && /expired/.test(error.message));
    const socket = await RawGraphQLSocket.open(gateway.url);
    socket.send({ type: "connection_init", payload: { authorization: `Bearer ${expired}` } });
    const closed = await socket.closedWith();
    assert.equal(closed.code, 4403);
    assert.match(closed.reason, /expired/);
    assert.equal(socket.messages.filter((m) => m.type === "connection_ack").length, 0, "never acknowledged");
  });

  it("closes an acknowledged socket (4401) once its token expires, when HTTP starts refusing it too", async () => {
    const verify = createAccessTokenVerifier(AUTH);
    const gateway = await startWebSocketGateway({ execute, verify });
    close = gateway.close;
    const nowSeconds = Math.floor(Date.now() / 1000);
    const shortLived = await signed(nowSeconds, nowSeconds + 2);
    const socket = await RawGraphQLSocket.connect(gateway.url, shortLived);
    const closed = await socket.closedWith(8_000);
    assert.equal(closed.code, 4401);
    await assert.rejects(authenticate(verify, `Bearer ${shortLived}`), /expired/);
  });
});
