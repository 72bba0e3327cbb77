import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { parseTrustedProxies } from "#kernel";
import { clientAddress } from "../src/http/client-address.js";

const request = (forwarded: string | string[] | undefined, socket = "192.0.2.9") => ({ headers: forwarded === undefined ? {} : { "x-forwarded-for": forwarded }, socket: { remoteAddress: socket } }) as unknown as IncomingMessage;

describe("clientAddress", () => {
  it("ignores X-Forwarded-For unless proxies are trusted", () => {
    assert.equal(clientAddress(request("198.51.100.1"), 0), "192.0.2.9");
  });

  it("takes the entry the outermost trusted proxy appended, counted from the right", () => {
    assert.equal(clientAddress(request("198.51.100.1"), 1), "198.51.100.1");
    assert.equal(clientAddress(request("6.6.6.6, 198.51.100.1"), 1), "198.51.100.1", "the client's own entries are not trusted");
    assert.equal(clientAddress(request("6.6.6.6, 198.51.100.1, 10.0.0.2"), 2), "198.51.100.1", "two proxies: the second from the right");
    assert.equal(clientAddress(request(["6.6.6.6", "198.51.100.1"]), 1), "198.51.100.1", "repeated headers read as one list");
    assert.equal(clientAddress(request("2001:db8:1:2::7"), 1), "2001:db8:1:2::/64");
  });

  it("drops the port a proxy appended with the address", () => {
    assert.equal(clientAddress(request("6.6.6.6, 198.51.100.1:53211"), 1), "198.51.100.1");
    assert.equal(clientAddress(request("[2001:db8:1:2::7]:443"), 1), "2001:db8:1:2::/64");
  });

  it("uses the socket's address when the trusted entry is not an address, so no string buys a budget of its own", () => {
    for (const entry of ["unknown", "_hidden", "evil-1", "evil-2", "1.2.3", "not an address"]) {
      assert.equal(clientAddress(request(`198.51.100.1, ${entry}`), 1), "192.0.2.9", entry);
    }
    assert.equal(clientAddress(request("garbage", "::ffff:0a00:0001"), 1), "10.0.0.1");
  });

  it("uses the socket's address when the header holds fewer entries than trusted proxies", () => {
    assert.equal(clientAddress(request("198.51.100.1"), 2), "192.0.2.9");
    assert.equal(clientAddress(request(" , "), 1), "192.0.2.9");
    assert.equal(clientAddress(request(undefined), 1), "192.0.2.9");
  });

  describe("behind proxies named by address (TRUST_PROXY=10.0.0.0/8,2001:db8:f::/48)", () => {
    const proxies = parseTrustedProxies("10.0.0.0/8, 2001:db8:f::/48").proxies;

    it("ignores the header of a client that reaches the gateway past the proxies", () => {
      for (const forged of ["198.51.100.1", "6.6.6.6, 198.51.100.1", "10.0.0.2"]) assert.equal(clientAddress(request(forged, "203.0.113.5"), proxies), "203.0.113.5", forged);
    });

    it("takes the closest hop that is not a proxy, however many proxies stand in a row", () => {
      assert.equal(clientAddress(request("198.51.100.1", "10.0.0.2"), proxies), "198.51.100.1");
      assert.equal(clientAddress(request("6.6.6.6, 198.51.100.1", "10.0.0.2"), proxies), "198.51.100.1", "the client's own entries are not read");
      assert.equal(clientAddress(request("6.6.6.6, 198.51.100.1, 10.1.1.1, 2001:db8:f:1::9", "::ffff:10.0.0.2"), proxies), "198.51.100.1");
      assert.equal(clientAddress(request("6.6.6.6, 2001:db8:1:2::7:443, [2001:db8:1:2::7]:443", "10.0.0.2"), proxies), "2001:db8:1:2::/64");
    });

    it("stops at an entry that is not an address, at the proxy that appended it, and at the socket without a header", () => {
      assert.equal(clientAddress(request("6.6.6.6, unknown", "10.0.0.2"), proxies), "10.0.0.2");
      assert.equal(clientAddress(request("6.6.6.6, unknown, 10.0.0.9", "10.0.0.2"), proxies), "10.0.0.9");
      assert.equal(clientAddress(request(undefined, "10.0.0.2"), proxies), "10.0.0.2");
      assert.equal(clientAddress(request("10.0.0.7, 10.0.0.8", "10.0.0.2"), proxies), "10.0.0.7", "proxies alone: the farthest of them");
    });
  });
});
