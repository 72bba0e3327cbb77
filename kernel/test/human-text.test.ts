import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hasInvisibleOrControlCharacter, multiLineText, optionalSingleLineText, singleLineText } from "../src/index.js";
import { refusal } from "./support/domain-refusal.js";

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
  // Outside Cf, but drawn as nothing or as a blank: default-ignorable, private use, unassigned.
  "Hangul filler U+3164": "\u3164",
  "Hangul choseong filler U+115F": "\u115f",
  "Hangul jungseong filler U+1160": "\u1160",
  "halfwidth Hangul filler U+FFA0": "\uffa0",
  "braille pattern blank U+2800": "\u2800",
  "variation selector-16 U+FE0F (after a letter)": "\ufe0f",
  "variation selector-17 U+E0100": "\u{e0100}",
  "combining grapheme joiner U+034F": "\u034f",
  "Khmer inherent vowel U+17B4": "\u17b4",
  "Mongolian free variation selector U+180B": "\u180b",
  "object replacement character U+FFFC": "\ufffc",
  "private use U+E000": "\ue000",
  "noncharacter U+FFFF": "\uffff",
  "unassigned U+0378": "\u0378",
};

/** Characters outside Cf that the attack run had accepted as a whole name. */
const BLANK_LOOKING = ["\u3164", "\u115f", "\u1160", "\uffa0", "\u2800", "\ufe0f", "\u{e0100}", "\u034f", "\u17b4", "\u180b", "\ufffc", "\ue000", "\uffff"];

/** Text of real scripts, with the combining signs they are written with, and emoji. */
const SCRIPTS = {
  Arabic: "مُحَمَّد بن سلمان",
  Devanagari: "देवनागरी क्षत्रिय हिंदी",
  Korean: "김민준 서울특별시",
  Thai: "สมชาย ใจดี",
  Hebrew: "שָׁלוֹם",
  Vietnamese: "Nguyễn Thị Mỹ", // decomposed below too
  "emoji with a flag and a skin tone": "Ada 🇩🇪 👍🏽",
  "an emoji with its variation selector": "I ❤️ tea ☕",
};

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

  for (const [name, character] of Object.entries({ ...Object.fromEntries(BLANK_LOOKING.map((c) => [`U+${c.codePointAt(0)!.toString(16).toUpperCase()}`, c])), "a lone combining acute U+0301": "\u0301", "a lone Devanagari vowel sign U+093F": "\u093f", "a lone Thai tone mark U+0E48": "\u0e48" })) {
    it(`refuses ${name} as the whole value, or between spaces`, () => {
      for (const value of [character, `${character}${character}`, ` ${character} `, `\u3000${character}`]) {
        const answer = refusal(() => singleLineText("name", value, { max: 100 }));
        assert.deepEqual([answer.code, answer.field], ["BAD_USER_INPUT", "name"], JSON.stringify(value));
        assert.match(answer.message, /^name /);
      }
    });
  }

  it("refuses combining marks stacked past four on one character (zalgo), and keeps up to four", () => {
    const zalgo = refusal(() => singleLineText("name", `A${"\u0301".repeat(60)}`, { max: 100 }));
    assert.deepEqual([zalgo.code, zalgo.field], ["BAD_USER_INPUT", "name"]);
    assert.equal(refusal(() => singleLineText("name", `Ada Lo${"\u0300\u0301\u0302\u0303\u0304"}velace`, { max: 100 })).field, "name");
    assert.equal(refusal(() => multiLineText("description", `Soft${"\u0489".repeat(5)} cotton`, { max: 100 })).field, "description");
    assert.equal(singleLineText("name", "e\u0301\u0302\u0303\u0304", { max: 100 }), "e\u0301\u0302\u0303\u0304");
  });

  it("keeps the scripts written with combining signs, Hangul syllables, flags, skin tones and an emoji's variation selector", () => {
    for (const [script, value] of Object.entries({ ...SCRIPTS, "decomposed Vietnamese": SCRIPTS.Vietnamese.normalize("NFD") })) {
      assert.equal(singleLineText("name", ` ${value} `, { max: 100 }), value, script);
      assert.equal(multiLineText("description", `${value}\n${value}`, { max: 100 }), `${value}\n${value}`, script);
    }
  });

  it("still refuses an emoji sequence joined by U+200D, and an emoji variation selector where a key is compared", () => {
    assert.equal(refusal(() => singleLineText("name", "Ada \u{1f469}\u200d\u{1f4bb}", { max: 100 })).field, "name");
    assert.equal(hasInvisibleOrControlCharacter("\u2764\ufe0f"), true, "emails and other keys take no variation selector");
    assert.equal(hasInvisibleOrControlCharacter("\u{1f1e9}\u{1f1ea} \u{1f44d}\u{1f3fd}"), false);
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
