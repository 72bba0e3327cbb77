import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RECENCY_SPAN, recencyFeature, recencyScore } from "../../src/domain/recency-rank.js";
import { FIELD_SCORES } from "../../src/domain/field-scores.js";

/** A rank feature as the engines keep it: a float with its low 15 bits dropped (9 significant bits). */
const stored = (feature: number) => {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, feature);
  view.setUint32(0, (view.getUint32(0) >>> 15) << 15);
  return view.getFloat32(0);
};
const hours = (n: number) => n * 3_600_000;

describe("recency in a relevance score", () => {
  it("adds less over its whole span than the smallest difference between two field scores", () => {
    const whole = recencyScore(RECENCY_SPAN.to) - recencyScore(RECENCY_SPAN.from);
    const smallestStep = Math.min(...Object.values(FIELD_SCORES));
    assert.ok(whole < smallestStep, `recency spans ${whole}, a field scores ${smallestStep} at least`);
    assert.equal(recencyScore(Date.UTC(2019, 0, 1)), recencyScore(RECENCY_SPAN.from), "before the span: as at its start");
    assert.equal(recencyScore(Date.UTC(2050, 0, 1)), recencyScore(RECENCY_SPAN.to), "after the span: as at its end");
  });

  it("tells apart, as the engines store it, products made 8 hours apart in any year of the span", () => {
    for (let year = 2020; year < 2045; year++) {
      const at = Date.UTC(year, 5, 1);
      assert.ok(stored(recencyFeature(at + hours(8))) > stored(recencyFeature(at)), `in ${year}`);
    }
  });
});
