// Browsers let any page open a WebSocket to any site, sending only its Origin: a page of another
// site must not be able to hold the places of its visitors' addresses, nor spend their budgets.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadConfig, parseTrustedProxies } from "#kernel";
import { sameSiteOrNoBrowser } from "../src/subscriptions/graphql-websocket.js";
import { startWebSocketGateway } from "./support/websocket-gateway.js";
import { openSocketAs as initialise } from "./support/socket-opening.js";

describe("WebSocket upgrades from browser pages of other sites", () => {
  it("refuses a socket a page of another site opens, at the upgrade, so 16 of them leave the address's places to its own pages", async () => {
    const gateway = await startWebSocketGateway({ execute: async () => ({ data: { fast: true } }), limits: { maxConnectionsPerClient: 16 } });
    try {
      const host = new URL(gateway.url).host;
      const foreign = ["https://evil.example", `https://${host}.evil.example`, "null", "file://", `ftp://${host}`];
      for (const origin of foreign) assert.equal(await initialise(gateway.url, { origin }), "refused 401", origin);
      const held = await Promise.all(Array.from({ length: 16 }, () => initialise(gateway.url, { origin: "https://evil.example" })));
      assert.deepEqual(new Set(held), new Set(["refused 401"]));
      // The gateway's own pages (same host and port), and clients that are not browsers (no Origin).
      assert.equal(await initialise(gateway.url, { origin: `http://${host}` }), "acknowledged");
      assert.equal(await initialise(gateway.url, { origin: `http://${host.toUpperCase()}` }), "acknowledged");
      assert.equal(await initialise(gateway.url, {}), "acknowledged");
    } finally {
      await gateway.close();
    }
  });
});

describe("WebSocket origins behind a proxy, and origins allowed by name (review)", () => {
  const upgrade = (headers: Record<string, string>) => ({ headers }) as unknown as import("node:http").IncomingMessage;
  it("believes the forwarded host only from a trusted proxy, which may rewrite Host", () => {
    const behindNginx = { origin: "https://shop.example", host: "gateway:4000", "x-forwarded-host": "shop.example" };
    assert.equal(sameSiteOrNoBrowser(upgrade(behindNginx), { trustProxy: 1 }), true);
    assert.equal(sameSiteOrNoBrowser(upgrade(behindNginx)), false, "a client's own X-Forwarded-Host is not believed");
    assert.equal(sameSiteOrNoBrowser(upgrade({ ...behindNginx, "x-forwarded-host": "evil.example" }), { trustProxy: 1 }), false);
  });

  it("believes the forwarded host of a named proxy only on its own sockets", () => {
    const trustProxy = parseTrustedProxies("10.0.0.0/8").proxies;
    const from = (remoteAddress: string) => ({ headers: { origin: "https://shop.example", host: "gateway:4000", "x-forwarded-host": "shop.example" }, socket: { remoteAddress } }) as unknown as import("node:http").IncomingMessage;
    assert.equal(sameSiteOrNoBrowser(from("10.0.0.2"), { trustProxy }), true);
    assert.equal(sameSiteOrNoBrowser(from("203.0.113.5"), { trustProxy }), false, "a client past the proxy writes its own X-Forwarded-Host");
  });

  it("lets the pages of the origins WS_ALLOWED_ORIGINS names open sockets, and no others", async () => {
    const allowedOrigins = loadConfig({ APP_ENV: "test", WS_ALLOWED_ORIGINS: "https://www.shop.example, https://m.shop.example/" }).gateway.websocket.allowedOrigins;
    assert.deepEqual(allowedOrigins, ["https://www.shop.example", "https://m.shop.example"]);
    assert.equal(sameSiteOrNoBrowser(upgrade({ origin: "https://m.shop.example", host: "api.shop.example" }), { allowedOrigins }), true);
    assert.equal(sameSiteOrNoBrowser(upgrade({ origin: "https://evil.example", host: "api.shop.example" }), { allowedOrigins }), false);
    assert.throws(() => loadConfig({ APP_ENV: "test", WS_ALLOWED_ORIGINS: "https://shop.example/path" }), /WS_ALLOWED_ORIGINS/);
  });
});
