// DNS rebinding: a page whose domain is re-pointed at 127.0.0.1 reaches a platform on loopback
// as its own origin, Host and Origin naming that domain. A development platform on published
// credentials answers only requests naming loopback, on every server it runs.
import assert from "node:assert/strict";
import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { closeServer, createGuardedServer, hostHeaderNamesLoopback, loadConfig, loopbackHostCheck } from "#kernel";

function get(port: number, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/graphql", headers: { host }, agent: false }, (res) => {
      let body = "";
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("a development platform on published credentials answers only at loopback names", () => {
  it("takes loopback names and addresses, with or without a port, and nothing else", () => {
    for (const host of ["localhost:4000", "LOCALHOST", "127.0.0.1:4000", "127.1.2.3", "[::1]:4000", "[::1]", "shop.localhost:4000"]) assert.equal(hostHeaderNamesLoopback(host), true, host);
    for (const host of ["rebind.attacker.example:4000", "127.0.0.1.attacker.example", "localhost.attacker.example", "[::2]:4000", "0.0.0.0:4000", "", undefined]) assert.equal(hostHeaderNamesLoopback(host), false, String(host));
  });

  it("checks Host in development while a published credential is in use, and nowhere else", () => {
    assert.ok(loopbackHostCheck(loadConfig({ APP_ENV: "development" })));
    const own = { JWT_SECRET: "own-jwt-secret-0123456789-0123456789", INTERNAL_SECRET: "own-internal-secret-0123456789-0123456789", DEV_ADMIN_PASSWORD: "own-admin-password-0123456789" };
    assert.equal(loopbackHostCheck(loadConfig({ APP_ENV: "development", ...own })), undefined);
    assert.equal(loopbackHostCheck(loadConfig({ APP_ENV: "test" })), undefined, "tests send what Host they like");
    assert.equal(loopbackHostCheck(loadConfig({ APP_ENV: "production", JWT_AUDIENCE: "storefront-production", JWT_SECRET: own.JWT_SECRET, INTERNAL_SECRET: own.INTERNAL_SECRET })), undefined);
  });

  it("refuses a request naming another host 403 FORBIDDEN before the server's own handler runs", async () => {
    let handled = 0;
    const server = createGuardedServer({ maxConnections: 10, acceptsHost: loopbackHostCheck(loadConfig({ APP_ENV: "development" })) }, (_req, res) => {
      handled++;
      res.end("served");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const rebound = await get(port, `rebind.attacker.example:${port}`);
      assert.equal(rebound.status, 403);
      const error = (JSON.parse(rebound.body) as { errors: { message: string; extensions: { code: string } }[] }).errors[0]!;
      assert.equal(error.extensions.code, "FORBIDDEN");
      assert.match(error.message, /answers only at localhost or 127\.0\.0\.1/);
      assert.equal(handled, 0);
      assert.deepEqual(await get(port, `127.0.0.1:${port}`), { status: 200, body: "served" });
      assert.deepEqual(await get(port, `localhost:${port}`), { status: 200, body: "served" });
    } finally {
      await closeServer(server);
    }
  });
});
