// Builds the catalog's sorted listings (products(filter, sort)) from the product store: for a
// catalog written before listings existed, or after losing them. Run it while the products
// service is stopped; `npx tsx scripts/catalog/rebuild-listings.ts --help`.
import { loadConfig } from "#kernel";
import { openProductStore } from "../../subgraphs/products/src/adapters/open-product-store.js";
import { openListingStores } from "../../subgraphs/products/src/adapters/open-listing-stores.js";
import { rebuildListings } from "../../subgraphs/products/src/listing/rebuild-listings.js";
import { parseArguments } from "./cli-arguments.js";
import { createProgressBar } from "./progress-bar.js";

const USAGE = `Usage: npx tsx scripts/catalog/rebuild-listings.ts [options]

Lists every live product of the catalog (MONGO_URL, or the embedded catalog under
EMBEDDED_DATA_DIR) in the listings beside it. Idempotent: a product already listed at its
version is left as it is, unless its entries carry no product card yet (listings built before
cards: this gives them theirs); stock flags and popularity are kept.

  --batch B   products per batch (default 1000)
`;

const args = parseArguments(process.argv.slice(2), USAGE);
const config = loadConfig();
const store = await openProductStore(config);
const { listings, categories } = await openListingStores(config);
try {
  const progress = createProgressBar(`listing into ${listings.engine}`, await store.count({}));
  const listed = await rebuildListings({ store, listings, batchSize: Math.max(1, args.int("batch", 1_000)), onProgress: (n) => progress.update(n) });
  const { seconds, perSecond } = progress.finish(listed);
  process.stdout.write(`${listed} products listed in ${seconds.toFixed(1)} s (${Math.round(perSecond)}/s)\n`);
} finally {
  await listings.close();
  await categories.close();
  await store.close();
}
