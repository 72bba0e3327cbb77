import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DomainError, hasInvisibleOrControlCharacter, multiLineText, optionalSingleLineText, singleLineText } from "../src/index.js";

/** Each class of character no human text field accepts, by name. */
const REFUSED: Record<string, string> = {
  "NUL": "\u0000",
  "BEL": "\u0007",
  "ESC": "\u001b",
  "line feed": "\n",
  "carriage return": "\r",
  "tab": "\t",
  "DEL": "\u007f",
  "C1 NEL": "\u0085",
  "C1 CSI": "\u009b",
  "soft hyphen": "\u00ad",
  "zero-width space U+200B": "\u200b",
  "zero-width non-joiner U+200C": "\u200c",
  "zero-width joiner U+200D": "\u200d",
  "left-to-right mark U+200E": "\u200e",
  "right-to-left mark U+200F": "\u200f",
  "line separator U+2028": "\u2028",
  "paragraph separator U+2029": "\u2029",
  "LRE U+202A": "\u202a",
  "RLE U+202B": "\u202b",
  "PDF U+202C": "\u202c",
  "LRO U+202D": "\u202d",
  "RLO U+202E": "\u202e",
  "word joiner U+2060": "\u2060",
  "function application U+2061": "\u2061",
  "invisible times U+2062": "\u2062",
  "invisible separator U+2063": "\u2063",
  "invisible plus U+2064": "\u2064",
  "LRI U+2066": "\u2066",
  "PDI U+2069": "\u2069",
  "byte order mark U+FEFF": "\ufeff",
  "interlinear annotation U+FFF9": "\ufff9",
  "tag character U+E0041": "\u{e0041}",
  "unpaired high surrogate": "\ud800",
  "unpaired low surrogate": "\udc00",
};

function refusal(run: () => unknown): { code: unknown; field: unknown; message: string } {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof DomainError, String(error));
    return { code: error.extensions.code, field: error.extensions.field, message: error.message };
  }
  assert.fail("expected a refusal");
}

describe("human text: one line of visible text", () => {
  for (const [name, character] of Object.entries(REFUSED)) {
    it(`refuses ${name} inside a value, naming the field`, () => {
      const answer = refusal(() => singleLineText("recipientName", `Ada${character}Lovelace`, { max: 100 }));
      assert.deepEqual([answer.code, answer.field], ["BAD_USER_INPUT", "recipientName"]);
      assert.match(answer.message, /^recipientName /);
      assert.ok(hasInvisibleOrControlCharacter(`a${character}b`));
    });
  }

  it("refuses a value made only of invisible characters or whitespace", () => {
    for (const value of ["\u200b", "\u200b\u200b", " \u200e ", "\u2060", "   ", "\u3000", "\ufeff"]) {
      const answer = refusal(() => singleLineText("name", value, { max: 100 }));
      assert.deepEqual([answer.code, answer.field], ["BAD_USER_INPUT", "name"], JSON.stringify(value));
    }
  });

  it("keeps ordinary text of any script, emoji and inner spaces, trimmed", () => {
    for (const value of ["Ada Lovelace", "José Ñúñez", "Мария Иванова", "山田 太郎", "محمد", "O'Brien-Smith", "Rocket 🚀", "Ｆｕｌｌ width", "Flat 3, 1 Main St."]) {
      assert.equal(singleLineText("name", `  ${value} `, { max: 100 }), value);
      assert.equal(hasInvisibleOrControlCharacter(value), false, value);
    }
  });

  it("bounds the length after trimming and refuses a huge value without scanning it", () => {
    assert.equal(singleLineText("city", "x".repeat(10), { max: 10 }), "x".repeat(10));
    assert.equal(refusal(() => singleLineText("city", "x".repeat(11), { max: 10 })).field, "city");
    assert.equal(refusal(() => singleLineText("city", `${"x".repeat(1_000_000)}\u0000`, { max: 10 })).message, "city may have at most 10 characters");
  });

  it("leaves an optional field out when absent or blank, and checks it otherwise", () => {
    assert.equal(optionalSingleLineText("line2", null, { max: 10 }), null);
    assert.equal(optionalSingleLineText("line2", undefined, { max: 10 }), null);
    assert.equal(optionalSingleLineText("line2", "  ", { max: 10 }), null);
    assert.equal(optionalSingleLineText("line2", " Floor 3 ", { max: 10 }), "Floor 3");
    assert.equal(refusal(() => optionalSingleLineText("line2", "\u200b", { max: 10 })).field, "line2");
  });
});

describe("human text: several lines", () => {
  it("keeps line feeds and tabs, and stores CR LF and CR as LF", () => {
    assert.equal(multiLineText("description", "First line\r\nSecond\rThird\n\tindented", { max: 100 }), "First line\nSecond\nThird\n\tindented");
  });

  for (const [name, character] of Object.entries(REFUSED).filter(([name]) => !["line feed", "carriage return", "tab"].includes(name))) {
    it(`refuses ${name}`, () => {
      assert.deepEqual(Object.values(refusal(() => multiLineText("description", `Soft${character}cotton`, { max: 100 }))).slice(0, 2), ["BAD_USER_INPUT", "description"]);
    });
  }

  it("refuses a description of only line breaks", () => {
    assert.equal(refusal(() => multiLineText("description", "\n\r\n\t", { max: 100 })).message, "description must not be empty");
  });
});
