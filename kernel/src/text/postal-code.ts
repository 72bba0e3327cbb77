import { badInput } from "../errors/domain-error.js";

/**
 * The postal code of an address, where the region decides the tax (the countries of
 * COUNTRIES_WITH_REQUIRED_REGION): it must be one of that region's. A parcel goes where its
 * postal code says (a carrier sorts by it, not by the state written beside it), while tax is
 * looked up by the region: "Springfield, OR 62701" was delivered to Springfield, Illinois, taxed
 * as Oregon (nothing) instead of Illinois (the rate set for it). Elsewhere the postal code stays
 * the free text it was.
 *
 * US: a ZIP code (5 digits, or ZIP+4), whose first three digits name its state (USPS's
 * sectional centers); Canada: a postal code (A1A 1A1), whose first letter names its province.
 */
interface PostalRule {
  /** What a well-formed code looks like, as told to the customer. */
  what: string;
  /** The code in its one stored spelling, or null when it is not well-formed. */
  canonical(text: string): string | null;
  /** The regions (ISO 3166-2 codes) the code may belong to; undefined when the rule does not place it. */
  regionsOf(code: string): readonly string[] | undefined;
}

/**
 * ZIP code prefixes (first three digits) by state, from USPS's sectional center list. Prefixes
 * no centre uses fall to the state of the range around them: refusing them is not this check's
 * job, only a state the code is not in. Military prefixes (APO/FPO: 090-099, 340, 962-966)
 * belong to no state and so pass none.
 */
const ZIP_PREFIXES =
  "005:NY 006-007:PR 008:VI 009:PR 010-027:MA 028-029:RI 030-038:NH 039-049:ME 050-054:VT 055:MA 056-059:VT " +
  "060-069:CT 070-089:NJ 100-149:NY 150-196:PA 197-199:DE 200:DC 201:VA 202-205:DC 206-219:MD 220-246:VA " +
  "247-268:WV 270-289:NC 290-299:SC 300-319:GA 320-339:FL 341-349:FL 350-369:AL 370-385:TN 386-397:MS 398-399:GA " +
  "400-427:KY 430-459:OH 460-479:IN 480-499:MI 500-528:IA 530-549:WI 550-567:MN 569:DC 570-577:SD 580-588:ND " +
  "590-599:MT 600-629:IL 630-658:MO 660-679:KS 680-693:NE 700-714:LA 716-729:AR 730-731:OK 733:TX 734-749:OK " +
  "750-799:TX 800-816:CO 820-831:WY 832-838:ID 840-847:UT 850-865:AZ 870-884:NM 885:TX 889-898:NV 900-961:CA " +
  "967-968:HI 969:GU/MP 970-979:OR 980-994:WA 995-999:AK";

/**
 * Whole ZIP codes placed otherwise than their prefix: American Samoa's one, New York's Fishers
 * Island (served from Connecticut), and a military post astride a state line.
 */
const ZIP_CODES: Readonly<Record<string, readonly string[]>> = {
  "96799": ["AS"],
  "06390": ["NY"],
  // Fort Campbell lies in Kentucky and Tennessee under one ZIP code.
  "42223": ["KY", "TN"],
};

const statesByZipPrefix: ReadonlyMap<string, readonly string[]> = new Map(
  ZIP_PREFIXES.split(" ").flatMap((entry) => {
    const [range, states] = entry.split(":") as [string, string];
    const [from, to = from] = range.split("-").map(Number) as [number, number?];
    return Array.from({ length: to - from + 1 }, (_, i) => [String(from + i).padStart(3, "0"), states.split("/")] as const);
  }),
);

/** Canadian postal codes' first letter (the forward sortation area's district) by province. */
const PROVINCES_BY_LETTER: Readonly<Record<string, readonly string[]>> = {
  A: ["NL"], B: ["NS"], C: ["PE"], E: ["NB"], G: ["QC"], H: ["QC"], J: ["QC"], K: ["ON"], L: ["ON"], M: ["ON"], N: ["ON"],
  P: ["ON"], R: ["MB"], S: ["SK"], T: ["AB"], V: ["BC"], X: ["NT", "NU"], Y: ["YT"],
};

/** Compatibility forms folded (full-width digits are digits), spaces tidied, upper case. */
const tidy = (text: string) => text.normalize("NFKC").replace(/\s+/g, " ").trim().toUpperCase();

const RULES: Readonly<Record<string, PostalRule>> = {
  US: {
    what: "a US ZIP code: 5 digits, or ZIP+4 such as 62701-1234",
    canonical(text) {
      const zip = /^(\d{5})(?:[ -]?(\d{4}))?$/.exec(tidy(text));
      return zip ? (zip[2] ? `${zip[1]}-${zip[2]}` : zip[1]!) : null;
    },
    // The United States Minor Outlying Islands have no ZIP code of their own to check against.
    regionsOf: (code) => ZIP_CODES[code.slice(0, 5)] ?? statesByZipPrefix.get(code.slice(0, 3)) ?? [],
  },
  CA: {
    what: "a Canadian postal code such as M5V 3L9",
    canonical(text) {
      const code = /^([ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z]) ?(\d[ABCEGHJ-NPRSTV-Z]\d)$/.exec(tidy(text));
      return code ? `${code[1]} ${code[2]}` : null;
    },
    regionsOf: (code) => PROVINCES_BY_LETTER[code[0]!],
  },
};

/** Regions whose addresses carry no postal code the rules can place (the US Minor Outlying Islands). */
const UNPLACED_REGIONS: ReadonlySet<string> = new Set(["US:UM"]);

/**
 * The postal code an address in `country` and `region` (both as regionOf decided them) is stored
 * with: where the region decides the tax, the code in its one spelling, which must lie in that
 * region (BAD_USER_INPUT naming `field` otherwise); elsewhere the text as given.
 */
export function postalCodeOf(country: string, region: string | null, postalCode: string, field = "postalCode"): string {
  const rule = RULES[country];
  if (!rule) return postalCode;
  const code = rule.canonical(postalCode);
  if (code === null) throw badInput(`${field} must be ${rule.what}`, { field, country });
  if (region === null || UNPLACED_REGIONS.has(`${country}:${region}`)) return code;
  const regions = rule.regionsOf(code) ?? [];
  if (!regions.includes(region)) {
    const where = regions.length > 0 ? `is ${regions.join(" or ")}'s, not ${region}'s` : `is no ${country} region's the address may name`;
    // Tax follows the region while the parcel follows the code: they must agree.
    throw badInput(`${field} ${code} ${where}: give the region the postal code is in`, { field, country, region });
  }
  return code;
}
