/**
 * A web app served from its own origin (a dev server on another port) calling the gateway from
 * headless Chromium, which enforces CORS as every browser does: the page signs its calls with a
 * token, reads the answers, refusals included, and follows an order's socket; a page of an
 * origin the gateway does not allow reads nothing.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { chromium, type Browser, type Page } from "playwright-core";
import { startTestSupergraph, type TestSupergraph } from "../support/start-test-supergraph.js";
import { browserSkipReason, CHROMIUM_ARGS, CHROMIUM_PATH } from "../support/headless-chromium.js";

const skip = browserSkipReason("cross-origin page browser test");

/** What the page's script saw of one call: the status and body it could read, or the failure the browser gave it. */
type Seen = { status: number; code?: string; cartId?: string } | { failed: string };

describe("a web app on another origin calling the API from a browser", { skip }, () => {
  let app: Server;
  let appPort: number;
  let sg: TestSupergraph;
  let browser: Browser;

  before(async () => {
    // The app's dev server: an empty page, so each check runs as a script of that origin.
    app = createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>app</title>"));
    await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
    appPort = (app.address() as AddressInfo).port;
    sg = await startTestSupergraph({ env: { CORS_ALLOWED_ORIGINS: `http://localhost:${appPort}` } });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    await sg?.close();
    await new Promise((resolve) => app?.close(resolve));
  });

  async function pageAt(origin: string): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(`${origin}/`);
    return page;
  }

  const call = (page: Page, token: string | undefined, credentials: RequestCredentials): Promise<Seen> =>
    page.evaluate(
      async ({ url, token, credentials }) => {
        try {
          const headers: Record<string, string> = { "content-type": "application/json" };
          if (token) headers.authorization = `Bearer ${token}`;
          const answer = await fetch(url, { method: "POST", headers, credentials, body: JSON.stringify({ query: "{ cart { id } }" }) });
          const body = await answer.json();
          return { status: answer.status, code: body.errors?.[0]?.extensions?.code, cartId: body.data?.cart?.id };
        } catch (error) {
          return { failed: String(error) };
        }
      },
      { url: sg.gatewayUrl, token, credentials },
    );

  const openSocket = (page: Page, token: string): Promise<string> =>
    page.evaluate(
      ({ url, token }) =>
        new Promise<string>((resolve) => {
          const socket = new WebSocket(url.replace(/^http/, "ws"), "graphql-transport-ws");
          socket.onopen = () => socket.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${token}` } }));
          socket.onmessage = (event) => {
            if (JSON.parse(event.data).type === "connection_ack") resolve("acknowledged");
            socket.close();
          };
          socket.onclose = (event) => resolve(`closed ${event.code}`);
        }),
      { url: sg.gatewayUrl, token },
    );

  it("signs its calls with the token, reads the answers and the refusals, and follows the live socket", async () => {
    const page = await pageAt(`http://localhost:${appPort}`);
    try {
      const token = await sg.token("usr_cors_browser_app");
      // The signed-in customer's own cart, not an anonymous answer: the token went through.
      const cartIds = new Set<string | undefined>();
      for (const credentials of ["same-origin", "include"] as const) {
        const seen = await call(page, token, credentials);
        assert.ok(!("failed" in seen) && seen.status === 200 && seen.code === undefined && typeof seen.cartId === "string", `${credentials}: ${JSON.stringify(seen)}`);
        cartIds.add(seen.cartId);
      }
      assert.equal(cartIds.size, 1);
      const expired = await sg.token("usr_cors_browser_app", ["customer"], -60);
      assert.deepEqual(await call(page, expired, "same-origin"), { status: 401, code: "UNAUTHENTICATED", cartId: undefined }, "the page reads why, not a network error");
      assert.equal(await openSocket(page, token), "acknowledged");
    } finally {
      await page.close();
    }
  });

  it("lets a page of an origin the gateway does not allow read nothing, nor open the socket", async () => {
    // The same server under another name is another origin.
    const page = await pageAt(`http://127.0.0.1:${appPort}`);
    try {
      const seen = await call(page, await sg.token("usr_cors_browser_other"), "same-origin");
      assert.ok("failed" in seen, JSON.stringify(seen));
      assert.notEqual(await openSocket(page, await sg.token("usr_cors_browser_other")), "acknowledged");
    } finally {
      await page.close();
    }
  });
});
