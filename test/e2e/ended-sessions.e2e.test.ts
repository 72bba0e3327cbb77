// Ending sessions ends their access tokens: after a log-out (this device's session) or a
// password reset (every session), a token issued before is refused over HTTP and the sockets
// it opened are closed, while a token of a later log-in works at once.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "#kernel/testing";
import { startTestSupergraph, type TestSupergraph } from "../support/start-test-supergraph.js";
import { RawGraphQLSocket } from "../support/raw-graphql-websocket.js";
import { mailTo } from "../support/mail-folder.js";
import { TEST_DESTINATION } from "../../subgraphs/orders/test/support/storefront-operations.js";

const PASSWORD = "correct horse battery staple";
const SIGN_UP = `mutation ($input: SignUpInput!) { signUp(input: $input) { accessToken refreshToken user { id } } }`;
const LOG_IN = `mutation ($email: String!, $password: String!) { logIn(email: $email, password: $password) { accessToken refreshToken } }`;
const LOG_OUT = `mutation ($token: String!) { logOut(refreshToken: $token) }`;
const ME = `{ me { id } }`;

describe("ended sessions end their access tokens, over HTTP and WebSocket", () => {
  let sg: TestSupergraph;
  let mailDir: string;
  before(async () => {
    mailDir = mkdtempSync(join(tmpdir(), "ended-sessions-"));
    sg = await startTestSupergraph({ env: { NOTIFICATIONS_DIR: mailDir, ACCOUNT_LINK_BASE_URL: "https://shop.example.test", RATE_LIMIT_AUTH_PER_MINUTE: "1000" } });
  });
  after(async () => {
    await sg?.close();
    rmSync(mailDir, { recursive: true, force: true });
  });

  async function me(token: string) {
    const response = await fetch(sg.gatewayUrl, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify({ query: ME }) });
    return { status: response.status, body: (await response.json()) as any };
  }

  /** A socket signed in with the token, following one of the customer's orders. */
  async function following(token: string, orderId: string) {
    const socket = await RawGraphQLSocket.connect(sg.gatewayUrl, token);
    socket.subscribe("live", { query: `subscription($id: ID!) { orderStatusChanged(orderId: $id) { status } }`, variables: { id: orderId } });
    await socket.waitFor((m) => m.id === "live" && m.type === "next");
    return socket;
  }

  it("logOut ends this device's session: its token is refused and its socket closed, another device's goes on", async () => {
    const email = `ended-logout-${Date.now()}@example.com`;
    const laptop = (await sg.query(SIGN_UP, { input: { email, password: PASSWORD, name: "Ended" } })).data!.signUp;
    const phone = (await sg.query(LOG_IN, { email, password: PASSWORD })).data!.logIn;
    await sg.query(`mutation { addToCart(productId: "prod_0000005", quantity: 1) { totalQuantity } }`, {}, laptop.accessToken);
    const orderId = (await sg.query(`mutation { checkout(idempotencyKey: "ended-logout", ${TEST_DESTINATION}) { id } }`, {}, laptop.accessToken)).data!.checkout.id;
    const laptopSocket = await following(laptop.accessToken, orderId);
    const phoneSocket = await following(phone.accessToken, orderId);
    assert.equal((await me(laptop.accessToken)).status, 200);

    assert.equal((await sg.query(LOG_OUT, { token: laptop.refreshToken })).data!.logOut, true);
    const refused = await me(laptop.accessToken);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.errors[0].extensions.code, "UNAUTHENTICATED");
    assert.match(refused.body.errors[0].message, /session has ended/);
    const closed = await laptopSocket.closedWith(5_000);
    assert.equal(closed.code, 4401);
    assert.match(closed.reason, /session has ended/);
    const again = await RawGraphQLSocket.open(sg.gatewayUrl);
    again.send({ type: "connection_init", payload: { authorization: `Bearer ${laptop.accessToken}` } });
    assert.equal((await again.closedWith()).code, 4403, "the ended token opens no new socket");

    assert.equal((await me(phone.accessToken)).body.data?.me.id, laptop.user.id, "the phone's session is another one");
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(phoneSocket.closed, undefined);
    phoneSocket.close();
  });

  it("resetPassword ends every session: tokens issued before are refused and sockets closed, a new log-in works at once", async () => {
    const email = `ended-reset-${Date.now()}@example.com`;
    const first = (await sg.query(SIGN_UP, { input: { email, password: PASSWORD, name: "Ended" } })).data!.signUp;
    const second = (await sg.query(LOG_IN, { email, password: PASSWORD })).data!.logIn;
    await sg.query(`mutation { addToCart(productId: "prod_0000005", quantity: 1) { totalQuantity } }`, {}, first.accessToken);
    const orderId = (await sg.query(`mutation { checkout(idempotencyKey: "ended-reset", ${TEST_DESTINATION}) { id } }`, {}, first.accessToken)).data!.checkout.id;
    const sockets = [await following(first.accessToken, orderId), await following(second.accessToken, orderId)];

    await sg.query(readFileSync("schema/operations/RequestPasswordReset.graphql", "utf8"), { email });
    let mail: string | undefined;
    await waitFor("the reset mail", () => (mail = mailTo(mailDir, "password_reset", email)) !== undefined, { timeoutMs: 20_000 });
    const token = /reset-password#token=([A-Za-z0-9_-]+)/.exec(mail!)![1]!;
    const reset = await sg.query(readFileSync("schema/operations/ResetPassword.graphql", "utf8"), { token, newPassword: "a brand new passphrase" });
    assert.equal(reset.errors, undefined, JSON.stringify(reset.errors));

    for (const old of [first.accessToken, second.accessToken]) {
      const refused = await me(old);
      assert.equal(refused.status, 401);
      assert.equal(refused.body.errors[0].extensions.code, "UNAUTHENTICATED");
    }
    for (const socket of sockets) assert.equal((await socket.closedWith(5_000)).code, 4401);

    const fresh = (await sg.query(LOG_IN, { email, password: "a brand new passphrase" })).data!.logIn;
    assert.equal((await me(fresh.accessToken)).body.data?.me.id, first.user.id, "a token issued after the reset works at once");
    const socket = await following(fresh.accessToken, orderId);
    socket.close();
  });
});
