import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomInt, randomUUID } from "node:crypto";
import { after, before, it } from "node:test";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { realEngineUrl, waitFor } from "#kernel/testing";
import { describeOnEngines, startCheckoutSupergraph, type CheckoutSupergraph } from "../../subgraphs/orders/test/support/start-checkout-supergraph.js";
import { decodedMail } from "../support/mail-folder.js";
import { codeOf, dataOf, restock } from "../../subgraphs/orders/test/support/storefront-operations.js";
import { createMysqlTestDatabase } from "../../subgraphs/accounts/test/support/mysql-test-database.js";
import { postGraphQL } from "../support/graphql-client.js";

// Abuse of the guest-cart and account-mail flows: aliases and batches that try to buy many
// budgeted runs for the price of one request, hostile tokens, and two tabs racing.

const AUTH_BUDGET = 10;
const VIEW_BUDGET = 25;
const MAIL_PER_ACCOUNT = 5;
const P1 = "prod_0000005";
const P2 = "prod_0000006";
const REQUEST_RESET = readFileSync("schema/operations/RequestPasswordReset.graphql", "utf8");
const RESET = readFileSync("schema/operations/ResetPassword.graphql", "utf8");
const VERIFY = readFileSync("schema/operations/VerifyEmail.graphql", "utf8");
const RECORD_VIEW = readFileSync("schema/operations/RecordProductView.graphql", "utf8");
const SIGN_UP = `mutation ($input: SignUpInput!) { signUp(input: $input) { accessToken user { id } } }`;
const CREATE = `mutation { createGuestCart { token cart { id } } }`;
const CART = `{ cart { id totalQuantity items { quantity product { id } } } }`;
const ADD = `mutation($productId: ID!, $quantity: Int!) { addToCart(productId: $productId, quantity: $quantity) { totalQuantity } }`;

const aliased = (count: number, field: (i: number) => string) => Array.from({ length: count }, (_, i) => field(i)).join(" ");
/** A client address of its own per call, so no case spends another's budget (Redis is shared on the real engines). */
const newAddress = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

describeOnEngines("guest carts and account mail under abuse", (engines) => {
  let sg: CheckoutSupergraph;
  let mailDir: string;
  let mysql: Awaited<ReturnType<typeof createMysqlTestDatabase>> | undefined;

  before(async () => {
    mailDir = mkdtempSync(join(tmpdir(), "account-mail-abuse-e2e-"));
    const mysqlUrl = engines.database === "real" ? realEngineUrl("MYSQL_URL") : undefined;
    if (mysqlUrl) mysql = await createMysqlTestDatabase(mysqlUrl);
    sg = await startCheckoutSupergraph({
      engines,
      env: {
        TRUST_PROXY: "true",
        NOTIFICATIONS_DIR: mailDir,
        ACCOUNT_LINK_BASE_URL: "https://shop.example.test",
        RATE_LIMIT_AUTH_PER_MINUTE: String(AUTH_BUDGET),
        RATE_LIMIT_VIEWS_PER_MINUTE: String(VIEW_BUDGET),
        ACCOUNT_MAIL_PER_ACCOUNT: String(MAIL_PER_ACCOUNT),
        ...(mysql ? { MYSQL_URL: mysql.url } : {}),
      },
    });
    await restock(sg, [P1, P2]);
  });
  after(async () => {
    await sg?.close();
    await mysql?.drop();
    rmSync(mailDir, { recursive: true, force: true });
  });

  const from = (address: string, query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
    postGraphQL(sg.gatewayUrl, query, variables, { headers: { "x-forwarded-for": address, ...headers } });
  const postBatch = async (address: string, batch: { query: string; variables?: Record<string, unknown> }[]) => {
    const response = await fetch(sg.gatewayUrl, { method: "POST", headers: { "content-type": "application/json", "x-forwarded-for": address }, body: JSON.stringify(batch) });
    return { status: response.status, body: (await response.json()) as any };
  };
  const email = (name: string) => `${name}.${randomUUID().slice(0, 8)}@example.com`;

  it("charges every aliased requestPasswordReset against the auth budget: 20 in one operation are refused whole", async () => {
    const address = newAddress();
    const target = email("alias");
    const flood = await from(address, `mutation { ${aliased(20, (i) => `r${i}: requestPasswordReset(email: "${target}")`)} }`);
    assert.equal(flood.status, 429);
    assert.equal(codeOf(flood), "RATE_LIMITED");
    assert.equal(flood.errors?.[0]?.extensions?.budget, "auth");
    assert.equal(flood.data, undefined, "nothing ran");
    // Refused whole, it spent nothing: the full budget is still there.
    const within = await from(address, `mutation { ${aliased(AUTH_BUDGET, (i) => `r${i}: requestPasswordReset(email: "${email(`w${i}`)}")`)} }`);
    assert.equal(within.errors, undefined, JSON.stringify(within.errors));
    const over = await from(address, REQUEST_RESET, { email: target });
    assert.equal(over.status, 429, "the 10 aliases spent the 10 points");
    assert.equal(over.errors?.[0]?.extensions?.budget, "auth");
  });

  it("charges each entry of a batch against the auth budget, summed over the batch", async () => {
    const address = newAddress();
    const two = (n: number) => ({ query: `mutation { ${aliased(n, (i) => `r${i}: requestPasswordReset(email: "${email(`b${i}`)}")`)} }` });
    const summed = await postBatch(address, [two(6), two(6)]);
    assert.equal(summed.status, 429, JSON.stringify(summed.body));
    const full = await postBatch(address, Array.from({ length: AUTH_BUDGET }, () => ({ query: REQUEST_RESET, variables: { email: email("batch") } })));
    assert.equal(full.status, 200, JSON.stringify(full.body));
    assert.deepEqual(full.body.map((entry: any) => entry.data), Array.from({ length: AUTH_BUDGET }, () => ({ requestPasswordReset: true })));
    const over = await from(address, REQUEST_RESET, { email: email("after-batch") });
    assert.equal(over.status, 429);
    assert.equal(codeOf(over), "RATE_LIMITED");
  });

  it("throttles aliased reset requests for one account per alias: past the network's mail budget each is RATE_LIMITED", async () => {
    const target = email("throttled");
    dataOf(await from(newAddress(), SIGN_UP, { input: { email: target, password: "first-password-1", name: "Throttled" } }));
    const aliases = MAIL_PER_ACCOUNT + 3;
    const answer = await from(newAddress(), `mutation { ${aliased(aliases, (i) => `r${i}: requestPasswordReset(email: "${target}")`)} }`);
    // The field is non-null: the first refusal ends the mutation, the aliases before it ran.
    assert.equal(answer.data, null);
    assert.deepEqual(
      answer.errors?.map((error) => [error.path?.join("."), error.extensions?.code]),
      [[`r${MAIL_PER_ACCOUNT}`, "RATE_LIMITED"]],
    );
    // Each alias spent the account's mail budget of that network only: the owner's network is answered.
    assert.deepEqual(dataOf(await from(newAddress(), REQUEST_RESET, { email: target })), { requestPasswordReset: true });
  });

  it("charges every aliased recordProductView against the views budget", async () => {
    const address = newAddress();
    const tooMany = await from(address, `mutation { ${aliased(VIEW_BUDGET + 1, (i) => `v${i}: recordProductView(productId: "${P1}")`)} }`);
    assert.equal(tooMany.status, 429);
    assert.equal(tooMany.errors?.[0]?.extensions?.budget, "views");
    const twenty = await from(address, `mutation { ${aliased(20, (i) => `v${i}: recordProductView(productId: "${P1}")`)} }`);
    assert.equal(twenty.errors, undefined, JSON.stringify(twenty.errors));
    // The same shopper viewing one product counts once, however many aliases ask.
    assert.deepEqual(Object.values(twenty.data!).filter((value) => value === true), [true]);
    const batch = await postBatch(address, Array.from({ length: VIEW_BUDGET - 20 + 1 }, () => ({ query: RECORD_VIEW, variables: { productId: P2 } })));
    assert.equal(batch.status, 429, "20 aliases and a batch of 6 are 26 views against a budget of 25");
  });

  it("answers resetPassword with NUL bytes, 100 KB and unicode in the token or password with coded errors", async () => {
    const address = newAddress();
    const valid = "a".repeat(43);
    const cases: [string, string, string][] = [
      // NUL bytes never reach the accounts subgraph: the gateway refuses them in any variable.
      ["\u0000".repeat(43), "good-password-1", "BAD_USER_INPUT"],
      [`${valid.slice(1)}\u0000`, "good-password-1", "BAD_USER_INPUT"],
      [valid, "good-password\u0000-1", "BAD_USER_INPUT"],
      // 90 KB fits the gateway's 100 000-byte body limit and reaches the subgraph; 100 KB does not.
      ["t".repeat(90_000), "good-password-1", "INVALID_TOKEN"],
      ["t".repeat(100_000), "good-password-1", "BAD_USER_INPUT"],
      ["é".repeat(43), "good-password-1", "INVALID_TOKEN"],
      [valid, "p".repeat(90_000), "BAD_USER_INPUT"],
    ];
    for (const [token, newPassword, code] of cases) {
      const answer = await from(address, RESET, { token, newPassword });
      assert.equal(codeOf(answer), code, `${token.slice(0, 8)}… / ${newPassword.slice(0, 8)}…: ${JSON.stringify(answer.errors)}`);
      assert.equal(answer.data?.resetPassword ?? null, null);
    }
    for (const [token, code] of [["\u0000".repeat(43), "BAD_USER_INPUT"], ["v".repeat(90_000), "INVALID_TOKEN"], ["🛒".repeat(20), "INVALID_TOKEN"]] as const) {
      assert.equal(codeOf(await from(address, VERIFY, { token })), code, token.slice(0, 8));
    }
  });

  it("verifies an email once when two tabs open the link at the same time, and tells both it is verified", async () => {
    const target = email("tabs");
    dataOf(await from(newAddress(), SIGN_UP, { input: { email: target, password: "first-password-1", name: "Tabs" } }));
    let token: string | undefined;
    await waitFor(
      `the verification mail to ${target}`,
      () => {
        for (const file of readdirSync(mailDir).filter((name) => name.endsWith(".eml") && name.includes("-email_verification-"))) {
          const mail = decodedMail(readFileSync(join(mailDir, file), "utf8"));
          if (!mail.split(/\r?\n/).includes(`To: ${target}`)) continue;
          token = /verify-email#token=([A-Za-z0-9_-]{43})/.exec(mail)?.[1];
        }
        return token !== undefined;
      },
      { timeoutMs: 20_000 },
    );
    const answers = await Promise.all([from(newAddress(), VERIFY, { token }), from(newAddress(), VERIFY, { token })]);
    assert.deepEqual(answers.map((answer) => answer.data?.verifyEmail ?? codeOf(answer)), [true, true], "each tab is told what happened");
  });

  it("adds every line once when two tabs of one guest add to a fresh cart at the same time", async () => {
    const address = newAddress();
    const token = dataOf(await from(address, CREATE)).createGuestCart.token as string;
    const tabs = await Promise.all([
      ...Array.from({ length: 4 }, () => from(address, ADD, { productId: P1, quantity: 1 }, { "x-cart-token": token })),
      ...Array.from({ length: 2 }, () => from(address, ADD, { productId: P2, quantity: 2 }, { "x-cart-token": token })),
      from(address, CREATE, {}, { "x-cart-token": token }),
    ]);
    for (const tab of tabs) dataOf(tab);
    const cart = dataOf(await from(address, CART, {}, { "x-cart-token": token })).cart;
    assert.deepEqual(new Map(cart.items.map((item: any) => [item.product.id, item.quantity])), new Map([[P1, 4], [P2, 4]]));
    assert.equal(cart.totalQuantity, 8);
  });

  it("names no cart from hostile cart tokens in WebSocket connection params: NUL bytes, 100 KB, unicode", async () => {
    const real = dataOf(await from(newAddress(), CREATE)).createGuestCart.token as string;
    dataOf(await from(newAddress(), ADD, { productId: P1, quantity: 1 }, { "x-cart-token": real }));
    for (const hostile of [`${real}\u0000`, "\u0000".repeat(64), `gc1.${"x".repeat(100_000)}`, "gc1.🛒.ünïcødé", real]) {
      const client = createClient({
        url: sg.gatewayUrl.replace(/^http/, "ws"),
        webSocketImpl: WebSocket,
        connectionParams: { "x-cart-token": hostile, "X-Cart-Token": hostile, cartToken: hostile, headers: { "x-cart-token": hostile } },
        retryAttempts: 0,
        lazy: true,
      });
      const outcome = await new Promise<{ errors?: any[]; data?: any; closed?: boolean }>((resolve) => {
        let result: any;
        client.subscribe(
          { query: CART },
          {
            next: (value) => (result ??= value),
            // A refused operation arrives as its errors; a refused connection as a close event.
            error: (errors) => resolve(Array.isArray(errors) ? { errors } : { closed: true }),
            complete: () => resolve(result),
          },
        );
      });
      try {
        assert.equal(outcome.data?.cart ?? null, null, `${hostile.slice(0, 12)}… named a cart`);
        if (!outcome.closed) assert.equal(codeOf(outcome), "UNAUTHENTICATED", JSON.stringify(outcome).slice(0, 300));
      } finally {
        await client.dispose();
      }
    }
    // The gateway is still up and the real cart untouched.
    assert.equal(dataOf(await from(newAddress(), CART, {}, { "x-cart-token": real })).cart.totalQuantity, 1);
  });
});
