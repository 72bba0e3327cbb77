// TRUST_PROXY names the proxies whose X-Forwarded-For is believed; a count believed whoever
// connected, so a client reaching the gateway past its proxies picked its own address.
import assert from "node:assert/strict";
import { it } from "node:test";
import { ConfigError, loadConfig, parseTrustedProxies, type TrustedProxies } from "#kernel";

const trust = (value: string) => loadConfig({ APP_ENV: "test", TRUST_PROXY: value }).gateway.trustProxy;

it("keeps the documented boolean and count values", () => {
  assert.equal(loadConfig({ APP_ENV: "test" }).gateway.trustProxy, 0);
  for (const [value, proxies] of [["false", 0], ["no", 0], ["0", 0], ["true", 1], ["yes", 1], ["1", 1], ["2", 2]] as const) assert.equal(trust(value), proxies, value);
});

it("reads addresses and CIDR networks of both families, matching IPv4 clients however the socket writes them", () => {
  const proxies = trust("10.0.0.0/8, 192.168.1.7 ,2001:db8:a::/48") as TrustedProxies;
  assert.deepEqual(proxies.networks, ["10.0.0.0/8", "192.168.1.7", "2001:db8:a::/48"]);
  for (const inside of ["10.1.2.3", "::ffff:10.200.0.1", "192.168.1.7", "2001:db8:a:ffff::1", "[2001:db8:a::2]:443", "10.0.0.1:5555"]) assert.equal(proxies.includes(inside), true, inside);
  for (const outside of ["11.0.0.1", "192.168.1.8", "2001:db8:b::1", "::1", "unknown", "", undefined]) assert.equal(proxies.includes(outside), false, String(outside));
  const odd = parseTrustedProxies("172.16.0.0/12, 0.0.0.0/0").proxies;
  assert.equal(odd.includes("172.31.255.255"), true);
  assert.equal(odd.includes("8.8.8.8"), true, "/0 is every IPv4 address");
  assert.equal(odd.includes("2001:db8::1"), false, "an IPv4 network holds no IPv6 address");
});

it("refuses at start an entry that is neither an address nor a network, naming it", () => {
  for (const value of ["proxy.internal", "10.0.0.0/33", "2001:db8::/129", "10.0.0.1:80", "10.0.0.0/8/8", "1.2.3", "maybe"]) {
    assert.throws(() => trust(value), (error: unknown) => error instanceof ConfigError && error.message.includes("TRUST_PROXY"), value);
  }
});
