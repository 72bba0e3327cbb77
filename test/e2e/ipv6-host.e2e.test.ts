// HOST set to an IPv6 address: every URL a server announces or hands out names it in brackets.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { httpOrigin } from "#kernel";
import { startTestSupergraph, type TestSupergraph } from "../support/start-test-supergraph.js";

describe("HOST=::1", () => {
  let sg: TestSupergraph;
  before(async () => {
    sg = await startTestSupergraph({ env: { HOST: "::1" } });
  });
  after(async () => {
    await sg?.close();
  });

  it("formats an IPv6 host in brackets and leaves names and IPv4 addresses alone", () => {
    assert.equal(httpOrigin("::1", 4000), "http://[::1]:4000");
    assert.equal(httpOrigin("[::1]", 4000), "http://[::1]:4000");
    assert.equal(httpOrigin("127.0.0.1", 4000), "http://127.0.0.1:4000");
    assert.equal(httpOrigin("shop.internal", 80), "http://shop.internal:80");
  });

  it("starts, answers through the gateway at the URL it announces, and hands out image URLs that load", async () => {
    assert.equal(new URL(sg.gatewayUrl).hostname, "[::1]");
    const result = await sg.query<{ products: { edges: { node: { images: { url: string }[] } }[] } }>(`{ products(first: 1) { edges { node { images { url } } } } }`);
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    const imageUrl = result.data!.products.edges[0]!.node.images[0]!.url;
    assert.equal(new URL(imageUrl).hostname, "[::1]", imageUrl);
    const image = await fetch(imageUrl);
    assert.equal(image.status, 200, imageUrl);
  });
});
