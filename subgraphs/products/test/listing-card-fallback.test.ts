import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { listingFacts, listingKey } from "../src/listing/listing-facts.js";
import { cardOf, isCard } from "../src/listing/listing-card.js";
import { emptyRecord, withProduct } from "../src/listing/listing-record.js";
import { createProductListingService } from "../src/listing/product-listing.service.js";
import { CategoryTree } from "../src/categories/category.js";
import type { ListingIndex } from "../src/ports/listing-index.js";
import { listedProduct } from "./listing-index.contract.js";

/**
 * Listings built before entries carried cards hold entries without one: a page of cards reads
 * those products from the catalog (checking, as before, that the entry is where the product's
 * current version belongs) and answers the others from their cards.
 */
describe("a page of cards over listings built before cards", () => {
  it("reads only the products whose entries carry no card, and keeps leaving out an entry at an old place", async () => {
    const [carded, uncarded, moved] = [listedProduct({ name: "Carded" }), listedProduct({ name: "Uncarded" }), listedProduct({ name: "Moved" })];
    const key = (product: typeof carded) => listingKey("NEWEST", listingFacts(product, 0));
    const items = [
      { id: carded.id, key: key(carded), card: cardOf(listingFacts(carded, 0)) },
      { id: uncarded.id, key: key(uncarded) },
      // Listed at a time the product no longer has: its change is not listed yet.
      { id: moved.id, key: listingKey("NEWEST", { ...listingFacts(moved, 0), createdAt: 0 }) },
    ];
    const listings = { list: async () => ({ items, hasNextPage: false, endKey: null }) } as unknown as ListingIndex;
    const asked: string[][] = [];
    const service = createProductListingService({
      listings,
      tree: async () => new CategoryTree([]),
      findByIds: async (ids) => {
        asked.push([...ids]);
        return new Map([carded, uncarded, moved].filter((product) => ids.includes(product.id)).map((product) => [product.id, product]));
      },
      count: async () => 3,
    });

    const cards = await service.list({ first: 20 }, { cards: true });
    assert.deepEqual(asked, [[uncarded.id, moved.id]]);
    assert.deepEqual(cards.edges.map((edge) => [edge.node.id, isCard(edge.node)]), [[carded.id, true], [uncarded.id, false]]);

    asked.length = 0;
    const products = await service.list({ first: 20 });
    assert.deepEqual(asked, [[carded.id, uncarded.id, moved.id]], "without cards every product is read");
    assert.deepEqual(products.edges.map((edge) => isCard(edge.node)), [false, false]);
  });
});

describe("giving listings built before cards their cards", () => {
  it("takes a product's facts again at the version it is listed at when they have no card, and only then", () => {
    const product = listedProduct({ name: "Old lamp", version: 4 });
    const { currency: _currency, image: _image, ...oldFacts } = listingFacts(product, 7);
    const old = { ...emptyRecord(product.id), version: 4, facts: oldFacts, popularity: 7 };
    const upgraded = withProduct(old, product);
    assert.deepEqual(cardOf(upgraded.facts!), cardOf(listingFacts(product, 0)));
    assert.equal(upgraded.facts!.popularity, 7, "popularity kept");
    assert.equal(withProduct(upgraded, product), upgraded, "a record with its card is left as it is");
    assert.equal(withProduct(old, { ...product, version: 3 }), old, "an older version changes nothing");
    const gone = withProduct(old, null);
    assert.equal(gone.facts, undefined);
    assert.equal(withProduct(gone, product), gone, "a deletion stays final");
  });
});
