import type { SearchFilter, SearchSort } from "../src/ports/search-index.js";

/**
 * Queries a shopper types, with the results a person judged right for the demo catalog
 * (`generateCatalog({ count: 600 })`, seed 42: deterministic, so the ids are stable).
 * Every engine must pass all of them; rankings between equally good matches may differ by
 * engine, so those are judged as a set.
 */
export interface Judgment {
  name: string;
  request: { text: string; filter?: SearchFilter; sort?: SearchSort; first?: number };
  /** The first hits, in this order. */
  top?: string[];
  /** The first hits in any order (equally good matches). */
  topSet?: string[];
  /** How many products match in all. */
  total?: number;
  /** Nothing matched the words as typed, so the hits forgive typos (see searchAsTyped). */
  typosForgiven?: true;
  /** What holds for every hit of the first page. */
  every?: { category?: string; brand?: string; nameIncludes?: string; priceBelow?: number; priceFrom?: number };
  /** Expected facet counts (the listed values; others may follow). */
  facets?: { categories?: [string, number][]; brands?: [string, number][] };
}

export const JUDGED_CATALOG_SIZE = 600;

export const JUDGED_QUERIES: Judgment[] = [
  { name: "an exact product name finds that product first", request: { text: "minimalist espresso machine" }, top: ["prod_0000173"], total: 1 },
  { name: "a missing letter still finds the product", typosForgiven: true, request: { text: "minimalist espreso machine" }, top: ["prod_0000173"] },
  { name: "two swapped letters in a long word still find the product", typosForgiven: true, request: { text: "minimalsit espresso machine" }, top: ["prod_0000173"] },
  { name: "a full name with brand finds the one product", request: { text: "kinetic labs compact mechanical keyboard" }, top: ["prod_0000421"] },
  {
    name: "a misspelt noun finds every product of that kind", typosForgiven: true,
    request: { text: "wirless headphones" },
    topSet: ["prod_0000031", "prod_0000191", "prod_0000361", "prod_0000381"],
    total: 4,
    every: { nameIncludes: "Wireless Headphones" },
  },
  { name: "swapped letters in a single word", typosForgiven: true, request: { text: "headphnoes" }, topSet: ["prod_0000031", "prod_0000191", "prod_0000361", "prod_0000381"], total: 4 },
  { name: "a typo in the second word", typosForgiven: true, request: { text: "mechanical keybaord" }, topSet: ["prod_0000051", "prod_0000221", "prod_0000301", "prod_0000421"], total: 4 },
  { name: "a prefix finds the words it starts", request: { text: "mech" }, topSet: ["prod_0000051", "prod_0000221", "prod_0000301", "prod_0000421"], total: 4 },
  { name: "a prefix after a full word", request: { text: "yoga m" }, topSet: ["prod_0000075", "prod_0000155", "prod_0000245", "prod_0000295"], total: 4 },
  { name: "a partly typed phrase", request: { text: "sleeping b", first: 10 }, every: { nameIncludes: "Sleeping Bag" }, total: 13 },
  { name: "swapped letters in a short noun", typosForgiven: true, request: { text: "webcma", first: 6 }, every: { nameIncludes: "Webcam" }, total: 6 },
  { name: "a dropped letter in a compound word", typosForgiven: true, request: { text: "smartwach", first: 8 }, every: { nameIncludes: "Smartwatch" }, total: 8 },
  { name: "a misspelt brand with the rest of the name", typosForgiven: true, request: { text: "sonroa ultra smartwatch" }, topSet: ["prod_0000011", "prod_0000141"], total: 2 },
  { name: "a dropped letter in the last word", typosForgiven: true, request: { text: "cast iron skilet", first: 5 }, every: { nameIncludes: "Cast Iron Skillet" }, total: 5 },
  { name: "American spelling of a British name", typosForgiven: true, request: { text: "noise canceling earbuds", first: 7 }, every: { nameIncludes: "Noise Cancelling Earbuds" }, total: 7 },
  { name: "a hyphenated name", request: { text: "e-reader" }, topSet: ["prod_0000101", "prod_0000481"], total: 2 },
  // A word the catalog has: its neighbours one edit away (Air Fryer, Beard Trimmer) used to
  // follow it and fill the facets.
  { name: "a word the catalog has finds only the products that have it", request: { text: "dryer" }, total: 6, every: { nameIncludes: "Hair Dryer" } },
  { name: "a word in two kinds of product finds both, and nothing one edit away", request: { text: "board", first: 20 }, total: 11, every: { nameIncludes: "Board" } },
  { name: "a one-of-a-kind noun", request: { text: "soundbar" }, top: ["prod_0000111"], total: 1 },
  { name: "a brand name finds that brand's products", request: { text: "sonora", first: 12 }, every: { brand: "Sonora" }, total: 12 },
  {
    name: "a brand facet filter narrows a query",
    request: { text: "dutch oven", filter: { brands: ["Copperline"] } },
    topSet: ["prod_0000193", "prod_0000563"],
    total: 2,
    every: { brand: "Copperline" },
    facets: { brands: [["Copperline", 2]] },
  },
  { name: "a brand filter leaves the one match", request: { text: "beard trimmer", filter: { brands: ["Verdant"] } }, top: ["prod_0000107"], total: 1 },
  { name: "a brand filter on a three-word query", request: { text: "trail running shoes", filter: { brands: ["Peakform"] } }, top: ["prod_0000525"], total: 1 },
  {
    name: "a category filter with price ascending, ties by id",
    request: { text: "hot sauce", filter: { categories: ["grocery"] }, sort: "PRICE_ASC", first: 4 },
    top: ["prod_0000548", "prod_0000098", "prod_0000398", "prod_0000078"],
    total: 10,
    facets: { categories: [["grocery", 10]] },
  },
  { name: "a price ceiling filter", request: { text: "parka", filter: { price: { max: 15_000 } } }, topSet: ["prod_0000074", "prod_0000344", "prod_0000544"], total: 3, every: { priceBelow: 15_000 } },
  { name: "a price floor filter with a brand query", request: { text: "pixelon", filter: { price: { min: 25_000 } }, first: 6 }, total: 6, every: { brand: "Pixelon", priceFrom: 25_000 } },
  { name: "most expensive first, ties by id", request: { text: "dash cam", sort: "PRICE_DESC", first: 3 }, top: ["prod_0000040", "prod_0000520", "prod_0000390"], total: 8 },
  { name: "newest first", request: { text: "drone", sort: "NEWEST", first: 3 }, top: ["prod_0000396", "prod_0000386", "prod_0000346"], total: 5 },
  {
    name: "a category filter alone browses the category",
    request: { text: "", filter: { categories: ["books"] }, sort: "PRICE_ASC", first: 5 },
    total: 60,
    every: { category: "books" },
    facets: { categories: [["books", 60]] },
  },
  { name: "a category filter on an adjective", request: { text: "organic", filter: { categories: ["clothing"] }, first: 7 }, total: 7, every: { category: "clothing", nameIncludes: "Organic" } },
  { name: "nonsense finds nothing", request: { text: "zzzzqqq" }, total: 0 },
];

/**
 * Units sold in the judged catalog, as an order history would give them: electronics sell
 * most, books least, and products of a category differ a little.
 */
const UNITS_BY_CATEGORY: Record<string, number> = {
  electronics: 500,
  "home-kitchen": 300,
  clothing: 250,
  "sports-outdoors": 200,
  beauty: 150,
  "toys-games": 120,
  grocery: 100,
  garden: 80,
  automotive: 60,
  books: 40,
};

export const judgedPopularity = (product: { id: string; category: string }): number => (UNITS_BY_CATEGORY[product.category] ?? 0) + (Number(product.id.slice(-4)) % 7);

/**
 * What autocomplete should offer for what a shopper has typed so far. Suggestions are named
 * by product id, or `CATEGORY:<value>` / `BRAND:<value>`.
 */
export interface SuggestionJudgment {
  name: string;
  prefix: string;
  first?: number;
  /** The first suggestions, in this order. */
  top?: string[];
  /** The first suggestions in any order. */
  topSet?: string[];
  /** How many suggestions in all (of `first`). */
  total?: number;
  /** What every product suggested has in its name. */
  everyNameIncludes?: string;
  /** Every suggestion whose text matches `first` comes before any whose text matches `then`. */
  order?: { first: RegExp; then: RegExp };
}

const headphones = ["prod_0000031", "prod_0000191", "prod_0000361", "prod_0000381"];

export const JUDGED_SUGGESTIONS: SuggestionJudgment[] = [
  {
    name: "\"wi\" offers the brand whose name starts with it, its products, then Wireless electronics before Wild books",
    prefix: "wi",
    first: 20,
    top: ["BRAND:Wildpath"],
    order: { first: /Wireless/, then: / Wild / },
  },
  { name: "a word start with a letter missing finds headphones", prefix: "hedph", topSet: headphones, total: 4, everyNameIncludes: "Wireless Headphones" },
  { name: "an unfinished word finds the products using it", prefix: "wireles", first: 8, total: 8, everyNameIncludes: "Wireless" },
  { name: "the end of a word matches inside it, above typo'd neighbours", prefix: "phones", first: 8, topSet: headphones },
  { name: "a word in the middle of a name", prefix: "cancelling", first: 12, total: 7, everyNameIncludes: "Noise Cancelling Earbuds" },
  { name: "a full word then a started one", prefix: "cast ir", total: 5, everyNameIncludes: "Cast Iron Skillet" },
  {
    name: "part of a word offers the category and brand it names before their products",
    prefix: "kitch",
    first: 4,
    top: ["CATEGORY:home-kitchen", "BRAND:Ember Kitchen", "prod_0000503", "prod_0000243"],
  },
  { name: "a misspelt word finds its products", prefix: "espreso", topSet: ["prod_0000173", "prod_0000483", "prod_0000583"], total: 3 },
  { name: "a hyphenated word typed with a space", prefix: "usb c", topSet: ["prod_0000231", "prod_0000281", "prod_0000311", "prod_0000371"], total: 4 },
  {
    name: "a brand and a started word: the name continuing the typed text first, then equal matches by units sold",
    prefix: "sonora sm",
    top: ["prod_0000061", "prod_0000011", "prod_0000331"],
    total: 3,
  },
  { name: "nonsense suggests nothing", prefix: "zzqx", total: 0 },
];
