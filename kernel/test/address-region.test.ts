import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkSavedAddress, COUNTRIES_WITH_REQUIRED_REGION, regionKey, regionOf, type DomainError } from "../src/index.js";
import { refusal } from "./support/domain-refusal.js";


describe("address regions", () => {
  it("stores a US or Canadian region as its ISO 3166-2 code, whatever the spelling", () => {
    for (const spelling of ["IL", "il", " IL ", "US-IL", "us-il", "Illinois", "ILLINOIS", "illinois", "\uff29\uff2c", "\uff29\uff4c\uff4c\uff49\uff4e\uff4f\uff49\uff53"]) {
      assert.equal(regionOf("US", spelling), "IL", JSON.stringify(spelling));
    }
    assert.equal(regionOf("US", "New  York"), "NY");
    assert.equal(regionOf("US", "district of columbia"), "DC");
    assert.equal(regionOf("US", "PR"), "PR");
    assert.equal(regionOf("CA", "Ontario"), "ON");
    assert.equal(regionOf("CA", "qc"), "QC");
    assert.equal(regionOf("CA", "CA-YT"), "YT");
    assert.deepEqual(COUNTRIES_WITH_REQUIRED_REGION, ["US", "CA"]);
  });

  it("refuses a US or Canadian region it cannot tell, or none, naming the expected form", () => {
    for (const [country, region] of [["US", "I L"], ["US", "Ill."], ["US", "ON"], ["US", "US"], ["CA", "IL"], ["CA", "Ontari0"], ["US", "IL\u200b"], ["US", "\u200bIL"], ["US", null], ["US", undefined], ["US", "  "], ["CA", ""]] as const) {
      const answer = refusal(() => regionOf(country, region));
      assert.deepEqual([answer.code, answer.field], ["BAD_USER_INPUT", "region"], `${country} ${JSON.stringify(region)}`);
    }
    assert.equal(refusal(() => regionOf("US", "I L")).message, "region must be a US state, district or territory: its ISO 3166-2 code such as IL, or its name such as Illinois");
    assert.match(refusal(() => regionOf("CA", null)).message, /^region must be a Canadian province or territory: its ISO 3166-2 code such as ON.*an address in CA needs one$/);
    assert.equal(refusal(() => regionOf("US", "x", { field: "region" })).field, "region");
  });

  it("lets a whole-country choice leave the region out, but not misspell it", () => {
    assert.equal(regionOf("US", null, { optional: true }), null);
    assert.equal(regionOf("US", " ", { optional: true }), null);
    assert.equal(refusal(() => regionOf("US", "I L", { optional: true })).code, "BAD_USER_INPUT");
  });

  it("keeps any other country's region optional visible text, tidied", () => {
    assert.equal(regionOf("DE", null), null);
    assert.equal(regionOf("DE", "Bavaria"), "Bavaria");
    assert.equal(regionOf("DE", " Baden-\uff37\u00fcrttemberg  Nord "), "Baden-W\u00fcrttemberg Nord");
    assert.equal(refusal(() => regionOf("DE", "Bay\u200bern")).field, "region");
    assert.equal(regionKey(" ｃａ "), "CA");
  });

  it("turns a saved address's refusal into ADDRESS_NEEDS_UPDATE naming it, and passes anything else on", () => {
    const answer = (() => {
      try {
        checkSavedAddress("adr_1", () => regionOf("US", "IL\u200b"));
      } catch (error) {
        return (error as DomainError).extensions;
      }
    })();
    assert.deepEqual(answer, { code: "ADDRESS_NEEDS_UPDATE", addressId: "adr_1", field: "region" });
    assert.equal(checkSavedAddress("adr_1", () => regionOf("US", "Illinois")), "IL");
    assert.throws(() => checkSavedAddress("adr_1", () => { throw new Error("boom"); }), /boom/);
  });
});
