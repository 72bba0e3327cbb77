import { badInput, hasControlCharacter, hasInvisibleOrControlCharacter, isCountryCode, isPlainMailbox, isStorableText, optionalSingleLineText, postalCodeOf, regionOf, singleLineText } from "#kernel";
import type { AddressFields } from "./user.js";

/**
 * Input rules for accounts and addresses. Every limit here is also a column size in the
 * MySQL schema, so a valid input always fits.
 */

// Deliberately loose: the only real check of an address is mail reaching it.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * The key uniqueness, log-in and the per-account throttles are judged on: trimmed,
 * NFKC-normalised and lower-cased, so Ann@X.com equals ann@x.com. Nothing else is folded:
 * jose@ and josé@ are two addresses, and every store compares keys exactly (the MySQL
 * column has a binary collation), so the account a key finds is the one it names, and a
 * throttle counting one key counts every attempt on that account.
 */
export const emailKey = (email: string): string => email.trim().normalize("NFKC").toLowerCase();

/**
 * A combining mark left over once NFKC has composed what it can (x + U+0301 has no precomposed
 * form; e + U+0301 becomes é, which the key holds either way).
 */
const UNCOMPOSED_MARK = /\p{M}/u;

/**
 * An address as typed, trimmed. Control, invisible, format, default-ignorable (Hangul fillers,
 * variation selectors, the combining grapheme joiner), private-use and unassigned characters
 * and unpaired surrogates are refused outright (the kernel's hasInvisibleOrControlCharacter):
 * the loose pattern lets them through, a stored NUL or line break turns up later in mail
 * headers, logs and database errors, and an invisible character makes a second account for an
 * address that reads the same. So is a combining mark the key's NFKC does not compose into its
 * letter: it stacks on the letter before it and makes a look-alike of it too. The price is that
 * addresses in scripts written with combining vowel signs (Devanagari, Thai) are refused; mail
 * systems taking such addresses are rare, and a look-alike of someone's login is not.
 */
/**
 * An email as log-in and a reset request take it: well-formed and storable, nothing more. The
 * rule for a new address (validEmail) has tightened over time, and an account made under an
 * earlier one must still be able to sign in and reset its password; a spelling no account has
 * finds none (keys are compared exactly), so it cannot reach anyone else's.
 */
export function emailAsGiven(email: string): string {
  const trimmed = email.trim();
  if (trimmed.length > 254 || hasControlCharacter(trimmed) || !isStorableText(trimmed) || !EMAIL.test(trimmed)) {
    throw badInput("Give a valid email address", { field: "email" });
  }
  return trimmed;
}

export function validEmail(email: string): string {
  const trimmed = email.trim();
  // Judged as the key will read it (emailKey folds with NFKC): a full-width "ｘｎ--" or "．"
  // is the key's "xn--" or ".".
  const normalized = trimmed.normalize("NFKC");
  const labels = domainLabels(normalized);
  if (
    trimmed.length > 254 ||
    hasInvisibleOrControlCharacter(trimmed) ||
    !isStorableText(trimmed) ||
    UNCOMPOSED_MARK.test(normalized) ||
    !EMAIL.test(trimmed) ||
    // Where mail software reads a name, a comment or a list, its mail goes to another mailbox.
    !isPlainMailbox(trimmed) ||
    !labels.every((label) => label.length > 0)
  ) {
    throw badInput("Give a valid email address", { field: "email" });
  }
  if (labels.some((label) => ACE_LABEL.test(label))) {
    throw badInput("Type the email's domain as it reads (bücher.de, not xn--bcher-kva.de)", { field: "email" });
  }
  return trimmed;
}

/**
 * The labels of an address's domain. One mailbox must have one key, and a domain has more
 * spellings than its letter case: with a trailing dot (the DNS root: ann@example.com.) or in
 * its ASCII-compatible form (ann@xn--bcher-kva.de is ann@bücher.de), each made a second account
 * for the same mailbox. A new address has no empty label and is typed as it reads; the key
 * keeps domains as they read, so accounts made before keep theirs.
 */
const domainLabels = (email: string): string[] => email.slice(email.lastIndexOf("@") + 1).split(".");

/** A label in IDNA's ASCII-compatible encoding (RFC 5890): the punycode spelling of a Unicode label. */
const ACE_LABEL = /^xn--/i;

/**
 * 8 to 128 characters, not all of them whitespace: the upper bound keeps one log-in from
 * costing unbounded hashing; eight spaces are the first thing a guesser tries after nothing.
 * Spaces inside or around a real password are kept as typed (passphrases).
 */
export function validPassword(password: string): string {
  if (password.length < 8) throw badInput("The password needs at least 8 characters", { field: "password" });
  if (password.trim() === "") throw badInput("The password must not be only spaces", { field: "password" });
  if (password.length > 128) throw badInput("The password may have at most 128 characters", { field: "password" });
  return password;
}

// Names and address lines end up on labels and in emails: one line of visible text.
const text = (field: string, value: string, max: number): string => singleLineText(field, value, { max });
const optionalText = (field: string, value: string | null | undefined, max: number): string | null => optionalSingleLineText(field, value, { max });

export const validName = (name: string) => text("name", name, 100);

export interface AddressInput {
  recipientName: string;
  line1: string;
  line2?: string | null;
  city: string;
  region?: string | null;
  postalCode: string;
  country: string;
  phone?: string | null;
}

const REQUIRED: Record<keyof Pick<AddressFields, "recipientName" | "line1" | "city" | "postalCode">, number> = {
  recipientName: 100,
  line1: 200,
  city: 100,
  postalCode: 20,
};
const OPTIONAL: Record<keyof Pick<AddressFields, "line2" | "region" | "phone">, number> = { line2: 200, region: 100, phone: 32 };

export function validCountry(country: string): string {
  const code = country.trim().toUpperCase();
  if (!isCountryCode(code)) throw badInput("country must be an ISO 3166-1 alpha-2 country code such as DE", { field: "country" });
  return code;
}

/**
 * A whole address; the region as regionOf decides it for the country (a US or Canadian one needs
 * its subdivision's code), and there the postal code one of that region's (postalCodeOf).
 */
export function validAddress(input: AddressInput): AddressFields {
  const recipientName = text("recipientName", input.recipientName, REQUIRED.recipientName);
  const line1 = text("line1", input.line1, REQUIRED.line1);
  const line2 = optionalText("line2", input.line2, OPTIONAL.line2);
  const city = text("city", input.city, REQUIRED.city);
  const country = validCountry(input.country);
  const region = regionOf(country, input.region);
  const postalCode = postalCodeOf(country, region, text("postalCode", input.postalCode, REQUIRED.postalCode));
  const phone = optionalText("phone", input.phone, OPTIONAL.phone);
  return { recipientName, line1, line2, city, region, postalCode, country, phone };
}

/**
 * Only the fields present change; null is refused for required fields and clears optional ones.
 * The region is checked here as text only: whether it names a subdivision depends on the
 * address's country, which the caller knows (see regionOf).
 */
export function validAddressChanges(input: Partial<Record<keyof AddressInput, string | null>>): Partial<AddressFields> {
  const changes: Partial<AddressFields> = {};
  for (const [field, max] of Object.entries(REQUIRED) as [keyof typeof REQUIRED, number][]) {
    const value = input[field];
    if (value === undefined) continue;
    if (value === null) throw badInput(`${field} cannot be removed`, { field });
    changes[field] = text(field, value, max);
  }
  for (const [field, max] of Object.entries(OPTIONAL) as [keyof typeof OPTIONAL, number][]) {
    if (input[field] !== undefined) changes[field] = optionalText(field, input[field], max);
  }
  if (input.country !== undefined) {
    if (input.country === null) throw badInput("country cannot be removed", { field: "country" });
    changes.country = validCountry(input.country);
  }
  if (Object.keys(changes).length === 0) throw badInput("Nothing to change: give at least one field");
  return changes;
}
