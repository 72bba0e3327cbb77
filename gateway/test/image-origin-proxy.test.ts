import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import { createLogger, INTERNAL_HEADER, renewedPlatformCredential, verifyInternalCredential } from "#kernel";
import { createImageOriginProxy, imageBudgetKey } from "../src/http/image-origin-proxy.js";
import { createCallerRateLimiter } from "../src/rate-limit/caller-rate-limiter.js";

const listen = (server: Server) => new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));

/** A GET written byte for byte (fetch resolves dot segments before sending). */
const rawGet = (port: number, target: string) =>
  new Promise<number>((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    let data = "";
    socket.on("connect", () => socket.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    socket.on("data", (chunk) => (data += chunk));
    socket.on("end", () => resolve(Number(data.split(" ")[1])));
    socket.on("error", reject);
  });

describe("image origin proxy", () => {
  const asked: string[] = [];
  let origin: Server;
  let gateway: Server;
  let port: number;
  before(async () => {
    origin = createServer((req, res) => {
      asked.push(req.url!);
      res.writeHead(200, { "content-type": "image/webp" }).end("img");
    });
    const proxy = createImageOriginProxy({ productsOrigin: `http://127.0.0.1:${await listen(origin)}`, logger: createLogger("silent") });
    gateway = createServer((req, res) => void proxy(req, res).then((served) => served || res.writeHead(418).end()));
    port = await listen(gateway);
  });
  after(() => {
    origin.close();
    gateway.close();
  });

  it("forwards image paths, and nothing that dot segments lead out of /images/", async () => {
    assert.equal(await rawGet(port, "/images/products/a.webp"), 200);
    for (const escape of ["/images/../metrics", "/images/%2e%2e/healthz", "/images/.%2E/graphql", "/images/products/../../metrics"]) {
      assert.equal(await rawGet(port, escape), 404, escape);
    }
    assert.equal(await rawGet(port, "/images/products/../originals/b.jpg"), 200, "a dot segment that stays inside is resolved");
    assert.deepEqual(asked, ["/images/products/a.webp", "/images/originals/b.jpg"]);
  });
});

describe("image origin proxy: a budget per client network", () => {
  it("refuses 429 with retry-after once a network has spent its image requests, asking the origin nothing more, and counts other networks apart", async () => {
    let asked = 0;
    const origin = createServer((_req, res) => {
      asked += 1;
      res.writeHead(200, { "content-type": "image/webp" }).end("img");
    });
    const limit = createCallerRateLimiter({ pointsPerMinute: 3, keyPrefix: "test:images" });
    let network = "ip:203.0.113.7";
    const proxy = createImageOriginProxy({ productsOrigin: `http://127.0.0.1:${await listen(origin)}`, logger: createLogger("silent"), budget: () => limit(network) });
    const gateway = createServer((req, res) => void proxy(req, res).then((served) => served || res.writeHead(418).end()));
    const port = await listen(gateway);
    try {
      for (let i = 0; i < 3; i++) assert.equal((await fetch(`http://127.0.0.1:${port}/images/products/a.webp?n=${i}`)).status, 200);
      const refused = await fetch(`http://127.0.0.1:${port}/images/products/a.webp`);
      assert.equal(refused.status, 429);
      assert.ok(Number(refused.headers.get("retry-after")) >= 1);
      // Its connection ends with it: the client's next request opens one the connection budgets count.
      assert.equal(refused.headers.get("connection"), "close");
      assert.equal(asked, 3, "the refused request reached no origin");
      network = "ip:198.51.100.1";
      assert.equal((await fetch(`http://127.0.0.1:${port}/images/products/a.webp`)).status, 200);
    } finally {
      origin.close();
      gateway.close();
    }
  });

  it("keeps what other sites' pages make browsers ask apart, so they cannot spend the storefront's own images (review)", async () => {
    const origin = createServer((_req, res) => res.writeHead(200, { "content-type": "image/webp" }).end("img"));
    const limit = createCallerRateLimiter({ pointsPerMinute: 3, keyPrefix: "test:images-sites" });
    const network = "ip:203.0.113.8";
    const proxy = createImageOriginProxy({ productsOrigin: `http://127.0.0.1:${await listen(origin)}`, logger: createLogger("silent"), budget: (req) => limit(imageBudgetKey(req, network)) });
    const gateway = createServer((req, res) => void proxy(req, res).then((served) => served || res.writeHead(418).end()));
    const port = await listen(gateway);
    const image = (site: string, n: number) => fetch(`http://127.0.0.1:${port}/images/products/a.webp?cb=${n}`, { headers: { "sec-fetch-site": site } });
    try {
      // A foreign page's image loop in a visitor's browser: refused once its own bucket is spent ...
      for (let i = 0; i < 3; i++) assert.equal((await image("cross-site", i)).status, 200);
      assert.equal((await image("cross-site", 3)).status, 429);
      // ... while the storefront's pages, in the same browsers, still show their images.
      for (let i = 0; i < 3; i++) assert.equal((await image("same-origin", i)).status, 200);
    } finally {
      origin.close();
      gateway.close();
    }
  });
});

describe("image origin proxy: the platform's own caller at products", () => {
  it("signs each fetch with the platform's credential, so products never closes its sockets as a stranger's", async () => {
    const secret = "image-proxy-test-secret-0123456789";
    const credentials: (string | undefined)[] = [];
    const origin = createServer((req, res) => {
      credentials.push(req.headers[INTERNAL_HEADER] as string | undefined);
      res.writeHead(200, { "content-type": "image/webp" }).end("img");
    });
    const proxy = createImageOriginProxy({ productsOrigin: `http://127.0.0.1:${await listen(origin)}`, logger: createLogger("silent"), credential: renewedPlatformCredential(secret, "gateway-images", "products") });
    const gateway = createServer((req, res) => void proxy(req, res).then((served) => served || res.writeHead(418).end()));
    const port = await listen(gateway);
    try {
      assert.equal(await rawGet(port, "/images/products/a.webp"), 200);
      assert.equal(await rawGet(port, "/images/products/b.webp"), 200);
      assert.equal(credentials.length, 2);
      for (const credential of credentials) assert.ok(verifyInternalCredential(secret, credential), "a valid credential of the platform's secret");
      assert.equal(verifyInternalCredential(secret, credentials[0])!.identity, undefined, "naming no identity: it grants nothing");
    } finally {
      origin.close();
      gateway.close();
    }
  });
});
