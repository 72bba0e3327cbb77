import { badInput } from "../errors/domain-error.js";

/**
 * The one rule for text a person typed and other people read: names, address lines, regions,
 * product names, reasons, descriptions. Every mutation argument of that kind goes through
 * `singleLineText` or `multiLineText`, so a field cannot be checked more loosely than another.
 *
 * Refused anywhere in it, as a class rather than a list, because every member of it shows as
 * nothing or as something else than it is:
 * - control characters (C0, DEL, C1: BEL, ESC, line breaks where one line is expected);
 * - format characters (category Cf: zero-width spaces and joiners, LRM/RLM, the bidi
 *   embeddings, overrides and isolates, the invisible operators U+2060-2064, U+FEFF, the soft
 *   hyphen, tag characters), the separators U+2028/U+2029 and unpaired surrogates;
 * - every Default_Ignorable_Code_Point, which fonts are told to draw as nothing though many
 *   are not Cf: the Hangul fillers U+115F, U+1160, U+3164, U+FFA0, the variation selectors
 *   U+FE00-FE0F and U+E0100-E01EF, the combining grapheme joiner U+034F, Khmer U+17B4/17B5,
 *   the Mongolian variation selectors U+180B-180F;
 * - private use (Co: no font agrees what it is) and unassigned code points and noncharacters
 *   (Cn: U+FFFF; what a later Unicode assigns is refused until the runtime knows it);
 * - the braille blank U+2800 and the object replacement U+FFFC, drawn as a blank or a box
 *   although assigned as symbols.
 * They make two names that look alike differ (a tax region `IL` and `IL` + U+200B, an email
 * and the same email + U+034F), text that reads in another order than it is stored (an RTL
 * override in a reason shown to an admin), or a value that looks empty (a name of U+3164).
 *
 * One exception: the emoji variation selector U+FE0F (and the text one, U+FE0E) right after a
 * pictographic character is part of that emoji as phones type it (❤️); anywhere else it is
 * refused with the rest. The zero-width joiner is refused even inside an emoji sequence: no
 * field here needs one, and a joiner is as invisible as the rest. Flags (regional indicator
 * pairs) and skin tones (modifiers) are visible symbols and pass.
 *
 * Checked on code points (the `u` flag), so an unpaired surrogate is one Cs code point.
 */
const INVISIBLE_CLASS = String.raw`[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\p{Co}\p{Cn}\u2800\uFFFC]`;
const EMOJI_VARIATION = String.raw`(?<=\p{Extended_Pictographic})[\uFE0E\uFE0F]`;

const NOT_VISIBLE_TEXT = new RegExp(`(?!${EMOJI_VARIATION})${INVISIBLE_CLASS}`, "u");

/** As above, but a line feed and a tab are content (a description's paragraphs). */
const NOT_VISIBLE_MULTILINE_TEXT = new RegExp(`(?![\n\t])(?!${EMOJI_VARIATION})${INVISIBLE_CLASS}`, "u");

/** Every character above, the emoji variation selector included: for text compared as a key (an email). */
const ANY_INVISIBLE = new RegExp(INVISIBLE_CLASS, "u");

/**
 * Combining marks stacked on one base character. Real scripts stack few (Vietnamese two,
 * Thai a vowel and a tone, Devanagari a virama or a vowel sign and a nasal, Hebrew points
 * and a cantillation mark); "A" and 60 acute accents ("zalgo") draws over the lines around it.
 */
const MAX_MARKS_IN_A_ROW = 4;
const TOO_MANY_MARKS = new RegExp(`\\p{M}{${MAX_MARKS_IN_A_ROW + 1},}`, "u");

/** What does not show on its own: whitespace, separators and combining marks. */
const NOT_A_VISIBLE_CHARACTER = /[\s\p{Z}\p{M}]/gu;

/**
 * True when the text holds a control, format, default-ignorable, private-use, unassigned or
 * blank-looking character (every one listed above, the emoji variation selector included), or
 * an unpaired surrogate.
 */
export const hasInvisibleOrControlCharacter = (text: string): boolean => ANY_INVISIBLE.test(text);

export interface HumanTextLimits {
  /** Most characters (UTF-16 code units, as the stores count them) after trimming. */
  max: number;
}

function checked(field: string, value: string, max: number, forbidden: RegExp, what: string): string {
  // Length first: a megabyte of text is refused without scanning it.
  if (value.length > max * 4) throw badInput(`${field} may have at most ${max} characters`, { field });
  const trimmed = value.trim();
  if (forbidden.test(trimmed)) throw badInput(`${field} must be ${what}: no control, invisible or format characters`, { field });
  // After the character check, so text made only of invisible characters is named for what it holds.
  if (trimmed.length === 0) throw badInput(`${field} must not be empty`, { field });
  if (trimmed.length > max) throw badInput(`${field} may have at most ${max} characters`, { field });
  if (TOO_MANY_MARKS.test(trimmed)) throw badInput(`${field} must not stack more than ${MAX_MARKS_IN_A_ROW} combining marks on one character`, { field });
  // A combining acute alone, or marks between spaces, draws as nothing or as an accent on the text before it.
  if (trimmed.replace(NOT_A_VISIBLE_CHARACTER, "") === "") throw badInput(`${field} must have a visible character`, { field });
  return trimmed;
}

/** One line of visible text, trimmed: BAD_USER_INPUT naming `field` when empty, too long or holding a character above. */
export function singleLineText(field: string, value: string, limits: HumanTextLimits): string {
  return checked(field, value, limits.max, NOT_VISIBLE_TEXT, "one line of visible text");
}

/** As singleLineText, for a field that may be left out: absent, null or blank is null. */
export function optionalSingleLineText(field: string, value: string | null | undefined, limits: HumanTextLimits): string | null {
  if (value === null || value === undefined || value.trim() === "") return null;
  return singleLineText(field, value, limits);
}

/**
 * Visible text over several lines, trimmed, its line breaks stored as line feeds (CR LF and a
 * lone CR become LF before the check); tabs are kept. Everything else singleLineText refuses,
 * this refuses too.
 */
export function multiLineText(field: string, value: string, limits: HumanTextLimits): string {
  return checked(field, value.replace(/\r\n?/g, "\n"), limits.max, NOT_VISIBLE_MULTILINE_TEXT, "visible text");
}
