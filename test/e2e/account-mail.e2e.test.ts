import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { after, before, it } from "node:test";
import { realEngineUrl, waitFor } from "#kernel/testing";
import { describeOnEngines, startCheckoutSupergraph, type CheckoutSupergraph } from "../../subgraphs/orders/test/support/start-checkout-supergraph.js";
import { createMysqlTestDatabase } from "../../subgraphs/accounts/test/support/mysql-test-database.js";
import { mailsTo, mailTo } from "../support/mail-folder.js";
import { RawGraphQLSocket } from "../support/raw-graphql-websocket.js";

// Issue #13: a customer confirms their email and resets a forgotten password by links the
// notification service mails (captured here from the folder sender), through the gateway.

const SIGN_UP = `mutation ($input: SignUpInput!) { signUp(input: $input) { accessToken refreshToken user { id email emailVerified } } }`;
const LOG_IN = `mutation ($email: String!, $password: String!) { logIn(email: $email, password: $password) { refreshToken user { id } } }`;
const REFRESH = `mutation ($token: String!) { refreshToken(refreshToken: $token) { refreshToken } }`;
const ME = `{ me { id emailVerified } }`;
const REQUEST_RESET = readOperation("RequestPasswordReset");
const RESET = readOperation("ResetPassword");
const VERIFY = readOperation("VerifyEmail");

function readOperation(name: string): string {
  return readFileSync(`schema/operations/${name}.graphql`, "utf8");
}

const codeOf = (answer: { errors?: { extensions?: Record<string, any> }[] }) => answer.errors?.[0]?.extensions?.code;

async function linkToken(dir: string, kind: string, to: string, path: string): Promise<string> {
  let mail: string | undefined;
  await waitFor(`the ${kind} email to ${to}`, () => (mail = mailTo(dir, kind, to)) !== undefined, { timeoutMs: 20_000 });
  const match = new RegExp(`https://shop\\.example\\.test/${path}#token=([A-Za-z0-9_-]+)`).exec(mail!);
  assert.ok(match, mail);
  return match[1]!;
}

describeOnEngines("account mail through the gateway: verify the email, reset the password", (engines) => {
  let sg: CheckoutSupergraph;
  let mailDir: string;
  let mysql: Awaited<ReturnType<typeof createMysqlTestDatabase>> | undefined;

  before(async () => {
    mailDir = mkdtempSync(join(tmpdir(), "account-mail-e2e-"));
    const mysqlUrl = engines.database === "real" ? realEngineUrl("MYSQL_URL") : undefined;
    if (mysqlUrl) mysql = await createMysqlTestDatabase(mysqlUrl);
    sg = await startCheckoutSupergraph({
      engines,
      env: {
        NOTIFICATIONS_DIR: mailDir,
        ACCOUNT_LINK_BASE_URL: "https://shop.example.test",
        RATE_LIMIT_AUTH_PER_MINUTE: "1000",
        // The per-address mail budget counts in the shared Redis, where every test asking for
        // account mail from 127.0.0.1 within the hour spends it: these scenarios are no budget's.
        ACCOUNT_MAIL_PER_ADDRESS: "100000",
        ...(mysql ? { MYSQL_URL: mysql.url } : {}),
      },
    });
  });
  after(async () => {
    await sg?.close();
    await mysql?.drop();
    rmSync(mailDir, { recursive: true, force: true });
  });

  it("signs up, verifies by the mailed link, resets the password by the mailed link, logs in with the new one; the old session is over", async () => {
    const id = randomUUID().slice(0, 8);
    const email = `Zoe.${id}@example.com`;
    const signedUp = await sg.query(SIGN_UP, { input: { email, password: "first-password-1", name: "Zoe" } });
    assert.equal(signedUp.errors, undefined, JSON.stringify(signedUp.errors));
    const session = signedUp.data!.signUp;
    assert.equal(session.user.emailVerified, false);

    const verification = await linkToken(mailDir, "email_verification", email, "verify-email");
    assert.deepEqual((await sg.query(VERIFY, { token: verification })).data, { verifyEmail: true });
    assert.equal((await sg.query(ME, {}, session.accessToken)).data?.me.emailVerified, true);
    assert.deepEqual((await sg.query(VERIFY, { token: verification })).data, { verifyEmail: true }, "the link opened again answers as the first time");

    // Asked in other letters: the mail still goes to the address the account holds.
    assert.deepEqual((await sg.query(REQUEST_RESET, { email: email.toUpperCase() })).data, { requestPasswordReset: true });
    const reset = await linkToken(mailDir, "password_reset", email, "reset-password");
    assert.deepEqual((await sg.query(RESET, { token: reset, newPassword: "second-password-2" })).data, { resetPassword: true });

    const again = await sg.query(LOG_IN, { email, password: "second-password-2" });
    assert.equal(again.data?.logIn.user.id, session.user.id);
    assert.equal(codeOf(await sg.query(LOG_IN, { email, password: "first-password-1" })), "UNAUTHENTICATED");
    assert.equal(codeOf(await sg.query(REFRESH, { token: session.refreshToken })), "UNAUTHENTICATED", "the refresh token from before the reset is refused");
    assert.ok((await sg.query(REFRESH, { token: again.data!.logIn.refreshToken })).data?.refreshToken, "the new session works");
    assert.equal(codeOf(await sg.query(RESET, { token: reset, newPassword: "third-password-3" })), "INVALID_TOKEN");
  });

  it("answers a reset request for an unknown email exactly like a known one, and mails nobody", async () => {
    const unknown = `nobody.${randomUUID().slice(0, 8)}@example.com`;
    const visible = ({ status, data, errors }: Awaited<ReturnType<typeof sg.query>>) => ({ status, data, errors });
    const answer = visible(await sg.query(REQUEST_RESET, { email: unknown }));
    assert.deepEqual(answer, { status: 200, data: { requestPasswordReset: true }, errors: undefined });
    const known = `Kim.${randomUUID().slice(0, 8)}@example.com`;
    await sg.query(SIGN_UP, { input: { email: known, password: "first-password-1", name: "Kim" } });
    assert.deepEqual(visible(await sg.query(REQUEST_RESET, { email: known })), answer);
    await linkToken(mailDir, "password_reset", known, "reset-password");
    assert.equal(mailTo(mailDir, "password_reset", unknown), undefined);
  });

  it("mails one reset link for a request sent over HTTP and the same over the WebSocket at once, and the link works", async () => {
    const email = `Ria.${randomUUID().slice(0, 8)}@example.com`;
    await sg.query(SIGN_UP, { input: { email, password: "first-password-1", name: "Ria" } });
    const socket = await RawGraphQLSocket.connect(sg.gatewayUrl);
    try {
      socket.subscribe("reset", { query: REQUEST_RESET, variables: { email } });
      const [overHttp, overSocket] = await Promise.all([sg.query(REQUEST_RESET, { email }), socket.waitFor((message) => message.id === "reset" && message.type === "next")]);
      assert.deepEqual(overHttp.data, { requestPasswordReset: true });
      assert.deepEqual((overSocket.payload as { data?: unknown }).data, { requestPasswordReset: true });
    } finally {
      socket.socket.close();
    }
    const token = await linkToken(mailDir, "password_reset", email, "reset-password");
    // Both answers are in: a second mail would have been handed over before them.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(mailsTo(mailDir, "password_reset", email).length, 1);
    assert.equal(codeOf(await sg.query(RESET, { token, newPassword: "second-password-2" })), undefined);
  });
});
