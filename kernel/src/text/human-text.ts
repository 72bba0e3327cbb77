import { badInput } from "../errors/domain-error.js";

/**
 * The one rule for text a person typed and other people read: names, address lines, regions,
 * product names, reasons, descriptions. Every mutation argument of that kind goes through
 * `singleLineText` or `multiLineText`, so a field cannot be checked more loosely than another.
 *
 * Refused anywhere in it: control characters (C0, DEL, C1: BEL, ESC, line breaks where one line
 * is expected), format characters (Unicode category Cf: zero-width spaces and joiners, the
 * LRM/RLM marks, the bidi embeddings and overrides U+202A-202E and isolates U+2066-2069, the
 * invisible operators U+2060-2064, U+FEFF, the soft hyphen), the line and paragraph separators
 * U+2028/U+2029, and unpaired surrogates. None of them shows as itself: they make two names that
 * look alike differ (a tax region `IL` and `IL` + U+200B), text that reads in another order than
 * it is stored (an RTL override in a reason shown to an admin), or a value that looks empty.
 * The zero-width joiner goes too: no field here needs an emoji sequence, and a joiner is as
 * invisible as the rest.
 *
 * Checked on code points (the `u` flag), so an unpaired surrogate is one Cs code point.
 */
const NOT_VISIBLE_TEXT = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;

/** As above, but a line feed and a tab are content (a description's paragraphs). */
const NOT_VISIBLE_MULTILINE_TEXT = /(?![\n\t])[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;

/** True when the text holds a control, format (invisible) or separator character, or an unpaired surrogate. */
export const hasInvisibleOrControlCharacter = (text: string): boolean => NOT_VISIBLE_TEXT.test(text);

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
