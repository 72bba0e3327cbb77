// A rebound page's WebSocket names its own domain as both Origin and Host, so the origin check
// passes it: on a development platform on published credentials the upgrade is refused by Host.
import assert from "node:assert/strict";
import { request } from "node:http";
import { describe, it } from "node:test";
import { hostHeaderNamesLoopback } from "#kernel";
import { startWebSocketGateway } from "./support/websocket-gateway.js";

function upgrade(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/graphql", headers: { connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-protocol": "graphql-transport-ws", ...headers } });
    req.on("upgrade", (_res, socket) => {
      socket.destroy();
      resolve({ status: 101, body: "" });
    });
    req.on("response", (response) => {
      let body = "";
      response.on("data", (chunk) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("WebSocket upgrades naming another host than loopback", () => {
  it("are refused 403 FORBIDDEN though Origin and Host agree, while loopback names open", async () => {
    const gateway = await startWebSocketGateway({ execute: async () => ({ data: {} }), acceptsHost: hostHeaderNamesLoopback });
    try {
      const { port } = new URL(gateway.url);
      const rebound = await upgrade(gateway.url, { host: `rebind.attacker.example:${port}`, origin: `http://rebind.attacker.example:${port}` });
      assert.equal(rebound.status, 403);
      assert.match(rebound.body, /"code":"FORBIDDEN"/);
      assert.equal((await upgrade(gateway.url, { host: `localhost:${port}`, origin: `http://localhost:${port}` })).status, 101);
    } finally {
      await gateway.close();
    }
  });
});
