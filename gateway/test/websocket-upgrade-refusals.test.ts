// Upgrades refused before a socket exists were answered by the ws library in text/html ("Bad
// Request", "Unauthorized"): the one kind of refusal without a code a client can act on.
import assert from "node:assert/strict";
import { request } from "node:http";
import { describe, it } from "node:test";
import { startWebSocketGateway } from "./support/websocket-gateway.js";

/** Sends an upgrade request and reads the refusal: status, content type and body. */
function upgrade(url: string, path: string, headers: Record<string, string>): Promise<{ status: number; type: string; sniff: string; body: string }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, headers: { connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-protocol": "graphql-transport-ws", ...headers } });
    // Closed by the client: left open, the gateway's close would wait out its closing handshake and cut it.
    req.on("upgrade", (_response, socket) => {
      socket.destroy();
      reject(new Error("upgraded"));
    });
    req.on("response", (response) => {
      let body = "";
      response.on("data", (chunk) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, type: String(response.headers["content-type"]), sniff: String(response.headers["x-content-type-options"]), body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("WebSocket upgrades refused", () => {
  it("answer another path 404, a foreign page 401, a malformed handshake 400 and too many headers 431, each in JSON with its code", async () => {
    const gateway = await startWebSocketGateway({ execute: async () => ({ data: {} }) });
    try {
      const cases: [string, Record<string, string>, number, string][] = [
        ["/elsewhere", {}, 404, "NOT_FOUND"],
        ["/graphql", { origin: "https://attacker.example" }, 401, "FORBIDDEN"],
        ["/graphql", { "sec-websocket-version": "12" }, 400, "BAD_USER_INPUT"],
        ["/graphql", { "sec-websocket-key": "short" }, 400, "BAD_USER_INPUT"],
        ["/graphql", Object.fromEntries(Array.from({ length: 150 }, (_, n) => [`x-pad-${n}`, "1"])), 431, "BAD_USER_INPUT"],
      ];
      for (const [path, headers, status, code] of cases) {
        const refused = await upgrade(gateway.url, path, headers);
        assert.equal(refused.status, status, `${path} ${JSON.stringify(headers)}`);
        assert.match(refused.type, /application\/json/);
        assert.equal(refused.sniff, "nosniff");
        const answer = JSON.parse(refused.body) as { errors: { message: string; extensions: { code: string } }[] };
        assert.equal(answer.errors[0]!.extensions.code, code);
        assert.ok(answer.errors[0]!.message.length > 10);
      }
      // The GraphQL path from no page, or from the gateway's own, still opens.
      await assert.rejects(upgrade(gateway.url, "/graphql?from=app", {}), /upgraded/);
    } finally {
      await gateway.close();
    }
  });
});
