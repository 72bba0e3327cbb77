import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode } from "#kernel";
import { EmbeddedUserStore } from "../../src/adapters/embedded-user-store.js";
import { createAddressService } from "../../src/domain/address.service.js";
import { failure } from "../support/domain-failure.js";

const ADA = { recipientName: "Ada", line1: "1 Main St", city: "Springfield", region: "IL", postalCode: "62701", country: "US" };

describe("address book", () => {
  it("asks a caller whose token names no account to sign in, and saves nothing", async () => {
    const store = await EmbeddedUserStore.open();
    const addresses = createAddressService({ store });
    const refused = await failure(addresses.add("demo-customer", ADA));
    assert.equal(refused.code, ErrorCode.UNAUTHENTICATED);
    assert.match(refused.message, /names no account/);
    assert.deepEqual((await addresses.listFor(["demo-customer"])).get("demo-customer"), []);
  });

  it("saves an address for an account, the first one as its default", async () => {
    const store = await EmbeddedUserStore.open();
    await store.createUser({ id: "usr_ada", email: "ada@example.com", emailKey: "ada@example.com", name: "Ada", role: "customer", passwordHash: "x", createdAt: new Date() });
    const saved = await createAddressService({ store }).add("usr_ada", ADA);
    assert.equal((await store.defaultAddress("usr_ada"))?.id, saved.id);
  });

  it("refuses a country that is not an ISO 3166-1 code, though two letters, with BAD_USER_INPUT and saves nothing", async () => {
    const store = await EmbeddedUserStore.open();
    await store.createUser({ id: "usr_bea", email: "bea@example.com", emailKey: "bea@example.com", name: "Bea", role: "customer", passwordHash: "x", createdAt: new Date() });
    const addresses = createAddressService({ store });
    for (const country of ["ZZ", "XX", "UK", "EU"]) {
      const refused = await failure(addresses.add("usr_bea", { ...ADA, region: null, country }));
      assert.equal(refused.code, ErrorCode.BAD_USER_INPUT, country);
    }
    assert.deepEqual((await addresses.listFor(["usr_bea"])).get("usr_bea"), []);
    const saved = await addresses.add("usr_bea", { ...ADA, region: null, country: "gb" });
    assert.equal(saved.country, "GB");
    assert.equal((await failure(addresses.update("usr_bea", saved.id, { country: "ZZ" }))).code, ErrorCode.BAD_USER_INPUT);
  });

  it("answers a removal sent again with the id removed, and another account's or a made-up id with NOT_FOUND", async () => {
    const store = await EmbeddedUserStore.open();
    for (const id of ["usr_cy", "usr_dee"]) await store.createUser({ id, email: `${id}@example.com`, emailKey: `${id}@example.com`, name: id, role: "customer", passwordHash: "x", createdAt: new Date() });
    const addresses = createAddressService({ store });
    const mine = await addresses.add("usr_cy", ADA);
    const theirs = await addresses.add("usr_dee", ADA);
    assert.deepEqual(await Promise.all([addresses.remove("usr_cy", mine.id), addresses.remove("usr_cy", mine.id)]), [mine.id, mine.id]);
    assert.equal(await addresses.remove("usr_cy", mine.id), mine.id, "sent again after a lost answer");
    assert.equal((await failure(addresses.remove("usr_dee", mine.id))).code, ErrorCode.NOT_FOUND, "removed, but never that account's");
    assert.equal((await failure(addresses.remove("usr_cy", theirs.id))).code, ErrorCode.NOT_FOUND);
    assert.equal((await failure(addresses.remove("usr_cy", `adr_${"a".repeat(36)}`))).code, ErrorCode.NOT_FOUND);
    assert.equal((await addresses.listFor(["usr_dee"])).get("usr_dee")!.length, 1, "the other account's address stays");
  });
});
