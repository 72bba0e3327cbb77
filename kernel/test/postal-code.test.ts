import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { postalCodeOf } from "../src/index.js";
import { refusal } from "./support/domain-refusal.js";

describe("postal codes where the region sets the tax", () => {
  it("accepts a US ZIP code of the address's state, in one spelling", () => {
    for (const [region, zip, stored] of [
      ["IL", "62701", "62701"],
      ["IL", " 62701-1234 ", "62701-1234"],
      ["IL", "627011234", "62701-1234"],
      ["IL", "\uff16\uff12\uff17\uff10\uff11", "62701"],
      ["NY", "10001", "10001"],
      ["NY", "00501", "00501"],
      ["TX", "73301", "73301"],
      ["TX", "79901", "79901"],
      ["OR", "97201", "97201"],
      ["PR", "00901", "00901"],
      ["VI", "00802", "00802"],
      ["DC", "20500", "20500"],
      ["VA", "20166", "20166"],
      ["AK", "99501", "99501"],
      ["HI", "96813", "96813"],
      ["AS", "96799", "96799"],
      ["NY", "06390", "06390"],
      ["CT", "06320", "06320"],
      ["GU", "96910", "96910"],
      ["KY", "42223", "42223"],
      ["TN", "42223", "42223"],
    ] as const) {
      assert.equal(postalCodeOf("US", region, zip), stored, `${region} ${zip}`);
    }
  });

  it("refuses a US ZIP code of another state than the address names, saying whose it is", () => {
    for (const [region, zip] of [["OR", "62701"], ["IL", "10001"], ["DE", "10001-0001"], ["NH", "03901"], ["HI", "96799"], ["CT", "06390"], ["TN", "42101"], ["IL", "09001"], ["FL", "34001"]] as const) {
      const answer = refusal(() => postalCodeOf("US", region, zip));
      assert.deepEqual([answer.code, answer.field], ["BAD_USER_INPUT", "postalCode"], `${region} ${zip}`);
    }
    assert.equal(refusal(() => postalCodeOf("US", "OR", "62701")).message, "postalCode 62701 is IL's, not OR's: give the region the postal code is in");
    assert.equal(refusal(() => postalCodeOf("US", "IL", "09001")).message, "postalCode 09001 is no US region's the address may name: give the region the postal code is in");
  });

  it("refuses what is no US ZIP code", () => {
    for (const zip of ["6270", "627011", "62701-12", "ABCDE", "62 701", "62701 - 1234"]) {
      const answer = refusal(() => postalCodeOf("US", "IL", zip));
      assert.deepEqual([answer.code, answer.field, answer.message], ["BAD_USER_INPUT", "postalCode", "postalCode must be a US ZIP code: 5 digits, or ZIP+4 such as 62701-1234"], zip);
    }
  });

  it("places a Canadian postal code by its first letter, stored as A1A 1A1", () => {
    assert.equal(postalCodeOf("CA", "ON", "m5v3l9"), "M5V 3L9");
    assert.equal(postalCodeOf("CA", "QC", "H2X 1Y4"), "H2X 1Y4");
    assert.equal(postalCodeOf("CA", "NU", "X0A 0H0"), "X0A 0H0");
    assert.equal(postalCodeOf("CA", "NT", "X1A 2L9"), "X1A 2L9");
    assert.equal(refusal(() => postalCodeOf("CA", "BC", "M5V 3L9")).message, "postalCode M5V 3L9 is ON's, not BC's: give the region the postal code is in");
    for (const code of ["M5V", "D5V 3L9", "M5V 3L", "62701"]) assert.equal(refusal(() => postalCodeOf("CA", "ON", code)).field, "postalCode", code);
  });

  it("leaves a region-less choice and the other countries' postal codes as they were", () => {
    assert.equal(postalCodeOf("US", null, "62701"), "62701");
    assert.equal(postalCodeOf("US", "UM", "96898"), "96898");
    assert.equal(postalCodeOf("DE", null, "10115"), "10115");
    assert.equal(postalCodeOf("NO", "Oslo", "0150"), "0150");
    assert.equal(postalCodeOf("GB", null, "sw1a 1aa"), "sw1a 1aa");
  });
});
