import { badInput, DomainError } from "../errors/domain-error.js";
import { ErrorCode } from "../errors/error-codes.js";
import { optionalSingleLineText } from "./human-text.js";

/**
 * The region of an address, the one place it is decided. Sales tax is set per region in some
 * countries, so there the region is not free text: a spelling the rate table does not know
 * (`IL` + a zero-width space, full-width `ＩＬ`, `Illinois`, `I L`, none at all) would ship to
 * Illinois untaxed. In those countries an address names an ISO 3166-2 subdivision, given as its
 * code (`IL`, `US-IL`, any case) or its English name (`Illinois`), and is stored as the code; a
 * missing or unknown region is refused. Elsewhere the region is optional free text.
 */
const SUBDIVISIONS: Readonly<Record<string, { what: string; example: string; names: Readonly<Record<string, string>> }>> = {
  US: {
    what: "a US state, district or territory",
    example: "IL, or its name such as Illinois",
    names: {
      AL: "Alabama", AK: "Alaska", AZ: "Arizona", AR: "Arkansas", CA: "California", CO: "Colorado", CT: "Connecticut",
      DE: "Delaware", FL: "Florida", GA: "Georgia", HI: "Hawaii", ID: "Idaho", IL: "Illinois", IN: "Indiana", IA: "Iowa",
      KS: "Kansas", KY: "Kentucky", LA: "Louisiana", ME: "Maine", MD: "Maryland", MA: "Massachusetts", MI: "Michigan",
      MN: "Minnesota", MS: "Mississippi", MO: "Missouri", MT: "Montana", NE: "Nebraska", NV: "Nevada", NH: "New Hampshire",
      NJ: "New Jersey", NM: "New Mexico", NY: "New York", NC: "North Carolina", ND: "North Dakota", OH: "Ohio", OK: "Oklahoma",
      OR: "Oregon", PA: "Pennsylvania", RI: "Rhode Island", SC: "South Carolina", SD: "South Dakota", TN: "Tennessee",
      TX: "Texas", UT: "Utah", VT: "Vermont", VA: "Virginia", WA: "Washington", WV: "West Virginia", WI: "Wisconsin",
      WY: "Wyoming", DC: "District of Columbia", AS: "American Samoa", GU: "Guam", MP: "Northern Mariana Islands",
      PR: "Puerto Rico", UM: "United States Minor Outlying Islands", VI: "Virgin Islands",
    },
  },
  CA: {
    what: "a Canadian province or territory",
    example: "ON, or its name such as Ontario",
    names: {
      AB: "Alberta", BC: "British Columbia", MB: "Manitoba", NB: "New Brunswick", NL: "Newfoundland and Labrador",
      NS: "Nova Scotia", NT: "Northwest Territories", NU: "Nunavut", ON: "Ontario", PE: "Prince Edward Island",
      QC: "Quebec", SK: "Saskatchewan", YT: "Yukon",
    },
  },
};

/** Country codes (ISO 3166-1 alpha-2) whose addresses must name one of their subdivisions. */
export const COUNTRIES_WITH_REQUIRED_REGION: readonly string[] = Object.keys(SUBDIVISIONS);

/**
 * One spelling per region: compatibility forms folded (NFKC: full-width letters are letters),
 * runs of whitespace made one space, upper case. What tax rates and destinations are compared by.
 */
export const regionKey = (region: string): string => region.normalize("NFKC").replace(/\s+/g, " ").trim().toUpperCase();

const codeByName = new Map(
  Object.entries(SUBDIVISIONS).map(([country, { names }]) => [country, new Map(Object.entries(names).map(([code, name]) => [regionKey(name), code]))]),
);

/**
 * The region an address in `country` (an ISO alpha-2 code, already checked) is stored with:
 * the subdivision's code where one is required (BAD_USER_INPUT naming `field` when missing or
 * unknown), otherwise the text as given (NFKC, spaces tidied) or null. `optional` is for a
 * country-wide choice, such as a tax rate for the whole country: absent is then null.
 */
export function regionOf(country: string, region: string | null | undefined, options: { field?: string; optional?: boolean } = {}): string | null {
  const field = options.field ?? "region";
  const text = optionalSingleLineText(field, region, { max: 100 });
  const subdivisions = SUBDIVISIONS[country];
  if (!subdivisions) return text === null ? null : text.normalize("NFKC").replace(/\s+/g, " ").trim();
  const expected = `${field} must be ${subdivisions.what}: its ISO 3166-2 code such as ${subdivisions.example}`;
  if (text === null) {
    if (options.optional) return null;
    throw badInput(`${expected}; an address in ${country} needs one`, { field, country });
  }
  const key = regionKey(text);
  const code = key.startsWith(`${country}-`) ? key.slice(country.length + 1) : key;
  if (Object.hasOwn(subdivisions.names, code)) return code;
  const named = codeByName.get(country)!.get(key);
  if (named !== undefined) return named;
  throw badInput(expected, { field, country });
}

/**
 * Reads a saved address through `check` (the address rules of today). An address stored before
 * a rule existed (a region tax cannot be matched to) is ADDRESS_NEEDS_UPDATE naming it and the
 * field, rather than BAD_USER_INPUT: the caller sent nothing wrong, the address book holds it.
 */
export function checkSavedAddress<T>(addressId: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (!(error instanceof DomainError) || error.code !== ErrorCode.BAD_USER_INPUT) throw error;
    throw new DomainError(ErrorCode.ADDRESS_NEEDS_UPDATE, `Your saved address ${addressId} needs an update (${error.message}): change it with updateAddress`, {
      addressId,
      field: error.extensions.field,
    });
  }
}
