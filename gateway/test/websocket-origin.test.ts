// Browsers let any page open a WebSocket to any site, sending only its Origin: a page of another
// site must not be able to hold the places of its visitors' addresses, nor spend their budgets.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import WebSocket from "ws";
import { startWebSocketGateway } from "./support/websocket-gateway.js";

/** Opens a graphql-ws socket with these headers and sends connection_init: acknowledged, or how it ended. */
function initialise(url: string, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url.replace(/^http/, "ws"), "graphql-transport-ws", { headers });
    socket.on("open", () => socket.send(JSON.stringify({ type: "connection_init", payload: {} })));
    socket.on("message", (data) => {
      if (JSON.parse(String(data)).type === "connection_ack") {
        socket.close();
        resolve("acknowledged");
      }
    });
    socket.on("unexpected-response", (_request, response) => {
      resolve(`refused ${response.statusCode}`);
      socket.terminate();
    });
    socket.on("close", (code) => resolve(`closed ${code}`));
    socket.on("error", () => undefined);
  });
}

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
