/**
 * Text every store can hold. PostgreSQL refuses U+0000 in text columns ("invalid byte
 * sequence"), and an unpaired UTF-16 surrogate has no UTF-8 encoding at all, so either one
 * reaching a driver becomes a database error instead of a clear input error. Checked on code
 * units (no `u` flag), which is what a lone surrogate is.
 */
const NUL_OR_UNPAIRED_SURROGATE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** C0 controls (NUL, BEL, ESC, line breaks...), DEL and C1 controls: never part of a name or an address. */
const CONTROL_CHARACTER = /[\u0000-\u001F\u007F-\u009F]/;

/** False when the text holds a NUL character or an unpaired surrogate. */
export const isStorableText = (text: string): boolean => !NUL_OR_UNPAIRED_SURROGATE.test(text);

export const hasControlCharacter = (text: string): boolean => CONTROL_CHARACTER.test(text);
