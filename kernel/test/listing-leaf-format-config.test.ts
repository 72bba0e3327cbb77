import assert from "node:assert/strict";
import { it } from "node:test";
import { loadConfig } from "#kernel";

it("LISTING_LEAF_FORMAT is text unless set, takes array, and refuses anything else by name", () => {
  assert.equal(loadConfig({ APP_ENV: "test" }).catalog.listingLeafFormat, "text");
  assert.equal(loadConfig({ APP_ENV: "test", LISTING_LEAF_FORMAT: "array" }).catalog.listingLeafFormat, "array");
  assert.throws(() => loadConfig({ APP_ENV: "test", LISTING_LEAF_FORMAT: "json" }), /LISTING_LEAF_FORMAT must be one of text, array \(got "json"\)/);
});
