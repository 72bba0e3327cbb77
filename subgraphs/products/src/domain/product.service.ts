import type { ProductSource } from "../listing/listing-card.js";
import { createHash, randomUUID } from "node:crypto";
import { badInput, notFound, pageSize, encodeCursor, decodeCursor, requestFingerprint, validIdempotencyKey } from "#kernel";
import type { Product, ProductChanges } from "./product.js";
import { validChanges, validSku, type ProductChangesInput } from "./product.validation.js";
import { checkVariantSet, validOptions, validVariant, validVariantPrice, VARIANT_LIMITS, type ProductOptionInput, type ProductVariantInput } from "./product-variant.validation.js";
import { defaultVariant, lowestPrice } from "./product-variants.js";
import { createVariantOperations } from "./product-variant.service.js";
import { createProductImageOperations, keepImageFacts } from "./product-image.service.js";
import { DuplicateSkuError, type ListPosition, type ProductEdit, type ProductStore } from "../ports/product-store.js";
import { variantIdOf } from "#kernel";
import { DomainError, ErrorCode, type Logger } from "#kernel";
import type { ProductCache } from "./product-cache.js";
import { withPopularity, type PopularityOf } from "./with-popularity.js";

export interface CreateProductInput extends ProductChangesInput {
  sku: string;
  name: string;
  description: string;
  /** The default variant's price; a product given variants costs from the lowest of theirs. */
  priceAmount?: number | null;
  currency: string;
  category: string;
  brand: string;
  options?: ProductOptionInput[] | null;
  variants?: ProductVariantInput[] | null;
}

export interface ProductPage {
  edges: { cursor: string; node: ProductSource }[];
  hasNextPage: boolean;
  endCursor: string | null;
  totalCount: () => Promise<number>;
}

const isPosition = (value: unknown): value is ListPosition =>
  typeof value === "object" && value !== null && Number.isSafeInteger((value as ListPosition).seq) && (value as ListPosition).seq > 0;

export interface CatalogPage {
  products: Product[];
  endCursor: string | null;
  hasNextPage: boolean;
}

/**
 * Catalog rules. Writes go to the store, which records each one as an unpublished change;
 * `onWrite` nudges the change relay so events leave promptly. Reads by id go through the hot
 * cache when there is one; a write invalidates its product at once for this process (the
 * change event does it for every other process).
 */
export function createProductService(deps: {
  store: ProductStore;
  cache?: ProductCache;
  clock?: () => Date;
  onWrite?: () => void;
  logger?: Logger;
  /** Units sold per product (kept beside the listings), so a reindex ranks by them too. */
  popularityOf?: PopularityOf;
}) {
  const { store, cache } = deps;
  const clock = deps.clock ?? (() => new Date());
  const notify = deps.onWrite ?? (() => {});
  const written = async (id: string) => {
    notify();
    await cache?.invalidate(id).catch((error: unknown) => deps.logger?.warn("product cache invalidation failed; the change event will retry", { productId: id, error: String(error) }));
  };
  /** One write to a product; a SKU another product holds is a CONFLICT, a vanished product NOT_FOUND. */
  const edit = async (id: string, change: ProductEdit, missing: () => Error = () => notFound("Product", id)): Promise<Product> => {
    let updated: Product | null;
    try {
      updated = await store.update(id, change, clock());
    } catch (error) {
      if (error instanceof DuplicateSkuError) throw skuConflict(error.sku);
      throw error;
    }
    if (!updated) throw missing();
    await written(id);
    return updated;
  };

  /**
   * Without a key the SKU is the product's natural key: the product holding it, created by this
   * very request (the same fingerprint: a double click, a retry after a lost answer), is the
   * answer. A twin sent at once may hold the SKU's claim before its product is written, so the
   * holder is waited for a moment; another request's product stays a CONFLICT.
   */
  const sameCreation = async (holder: string | undefined, creationHash: string): Promise<Product | undefined> => {
    if (holder === undefined) return undefined;
    for (const deadline = Date.now() + TWIN_WRITE_WAIT_MS; ; await new Promise((resolve) => setTimeout(resolve, 25))) {
      const held = (await store.findByIds([holder])).get(holder);
      if (held) return held.creationHash === creationHash ? held : undefined;
      if (Date.now() > deadline) return undefined;
    }
  };

  return {
    findByIds: (ids: readonly string[]) => (cache ? cache.getMany(ids, (missing) => store.findByIds(missing)) : store.findByIds(ids)),

    /** The live catalog, newest first, a page at a time (reindexing search). */
    async catalogPage(args: { after?: string | null; first?: number | null }): Promise<CatalogPage> {
      const first = pageSize(args.first, { fallback: 500, max: 2_000 });
      // Newest first: the search index stores documents in the order it receives them, and a
      // relevance page costs least on an index stored newest first (SearchEngineIndex.rebuild).
      const iterator = store.scan(first, args.after ?? undefined, { newestFirst: true })[Symbol.asyncIterator]();
      const page = await iterator.next();
      await iterator.return?.();
      const products = await withPopularity(page.done ? [] : page.value.products, deps.popularityOf);
      return { products, endCursor: page.done ? null : page.value.after, hasNextPage: products.length === first };
    },

    async list(args: { first?: number | null; after?: string | null; category?: string | null }): Promise<ProductPage> {
      const first = pageSize(args.first);
      const after = args.after ? decodeCursor(args.after, isPosition) : undefined;
      const category = args.category ?? undefined;
      const { items, hasNextPage } = await store.list({ first, after, category });
      const edges = items.map(({ product, position }) => ({ cursor: encodeCursor(position), node: product }));
      return { edges, hasNextPage, endCursor: edges.at(-1)?.cursor ?? null, totalCount: () => store.count({ category }) };
    },

    /**
     * Adds a product. With an idempotency key the product is created once however often the
     * call is repeated or doubled: its id derives from the key, and a repeat answers the product
     * as it is now; the key reused for another request (any field of the input: SKU, name,
     * price, options, variants...) is IDEMPOTENCY_CONFLICT (nothing created). The product keeps
     * the request's fingerprint; one created before it did is told by its SKU, as it was then.
     */
    async create(input: CreateProductInput, idempotencyKey: string | null = null): Promise<Product> {
      const sku = validSku(input.sku);
      const key = idempotencyKey === null ? null : validIdempotencyKey(idempotencyKey);
      const { priceAmount, ...rest } = input;
      const fields = validChanges({ ...rest, images: input.images ?? [], attributes: input.attributes ?? [] }, input.currency);
      const options = validOptions(input.options ?? []);
      const variantInputs = input.variants ?? [];
      // Counted before any is checked: a list of 10,000 is refused without building one.
      if (variantInputs.length > VARIANT_LIMITS.variants) throw badInput(`A product has at most ${VARIANT_LIMITS.variants} variants`, { field: "variants" });
      if (options.length > 0 && variantInputs.length === 0) throw badInput("A product with options lists its variants", { field: "variants" });
      if (options.length === 0 && variantInputs.length > 0) throw badInput("Variants choose among options: give the product its options", { field: "options" });
      if (variantInputs.length > 0 && priceAmount != null) throw badInput("A product with variants costs what its variants cost: give each variant its priceAmount", { field: "priceAmount" });
      if (variantInputs.length === 0 && priceAmount == null) throw badInput("A product without variants needs a priceAmount", { field: "priceAmount" });
      const id = key === null ? `prod_${randomUUID().replaceAll("-", "").slice(0, 20)}` : productIdForKey(key);
      const creationHash = createRequestHash({ sku, fields, currency: input.currency, priceAmount: priceAmount ?? null, options, variants: variantInputs });
      // The key's product, created by an earlier call: the answer, as it is now (deleted since:
      // NOT_FOUND, never made again under its id).
      const repeat = async (): Promise<Product | undefined> => {
        if (key === null) return undefined;
        const created = (await store.findByIds([id])).get(id);
        if (created && (created.creationHash == null ? created.sku !== sku : created.creationHash !== creationHash)) throw keyConflict(key, created.id);
        if (!created && (await store.wasDeleted(id))) throw new DomainError(ErrorCode.NOT_FOUND, `Product ${id}, created under idempotency key ${key}, was deleted since; use a new key for a new product`, { id });
        return created;
      };
      const earlier = await repeat();
      if (earlier) return earlier;
      const variants = variantInputs.length
        ? variantInputs.map((variant, i) => validVariant({ id, options, currency: input.currency }, variant, variantIdOf(id, String(i + 1))))
        : [defaultVariant({ id, sku, price: validVariantPrice(priceAmount!, input.currency) })];
      checkVariantSet({ sku, options, variants });
      const now = clock();
      const product: Product = {
        id,
        sku,
        name: fields.name!,
        description: fields.description!,
        price: lowestPrice(variants),
        category: fields.category!,
        brand: fields.brand!,
        images: fields.images ?? [],
        attributes: fields.attributes ?? {},
        options,
        variants,
        lastVariantKey: variantInputs.length,
        createdAt: now,
        updatedAt: now,
        version: 1,
        creationHash,
      };
      try {
        await store.insert(product);
      } catch (error) {
        // A twin with this key inserted it first (its SKU, or its id, is taken by it).
        const twin = await repeat();
        if (twin) return twin;
        if (error instanceof DuplicateSkuError) {
          const same = key === null && error.sku === sku ? await sameCreation(error.holder, creationHash) : undefined;
          if (same) return same;
          throw skuConflict(error.sku);
        }
        throw error;
      }
      await written(product.id);
      return product;
    },

    async update(id: string, input: ProductChangesInput): Promise<Product> {
      const { priceAmount, currency, ...rest } = input;
      const changes = validChanges(rest, "USD");
      if (Object.keys(changes).length === 0 && priceAmount == null) throw badInput("Nothing to change: give at least one field");
      if (priceAmount == null) return edit(id, changes.images ? (current) => ({ ...changes, images: keepImageFacts(changes.images!, current.images) }) : changes);
      return edit(id, (current): ProductChanges => {
        // A product's price is its variants' prices: only a single variant's is set through it.
        if (current.variants.length !== 1) {
          throw badInput("This product has several variants: set each variant's price with updateProductVariant", { field: "priceAmount", productId: id });
        }
        const price = validVariantPrice(priceAmount, currency ?? current.price.currency);
        const images = changes.images ? { images: keepImageFacts(changes.images, current.images) } : {};
        return { ...changes, ...images, price, variants: [{ ...current.variants[0]!, price }] };
      });
    },

    ...createVariantOperations({ edit, findByIds: (ids) => store.findByIds(ids) }),

    ...createProductImageOperations({ edit, findByIds: (ids) => store.findByIds(ids) }),

    /**
     * Removing is reaching a state: a catalog without the product. One removed already (a
     * deletion sent again after a lost answer, a double click, another admin) answers its id
     * again; an id the catalog never had is NOT_FOUND.
     */
    async remove(id: string): Promise<string> {
      if (await store.remove(id, clock())) await written(id);
      else if (!(await store.wasDeleted(id))) throw notFound("Product", id);
      return id;
    },
  };
}

/** How long an unkeyed create waits for the twin whose claim on its SKU came first to be written. */
const TWIN_WRITE_WAIT_MS = 2_000;

function skuConflict(sku: string): DomainError {
  return new DomainError(ErrorCode.CONFLICT, `SKU ${sku} is already used by another product`, { field: "sku", sku });
}

export type ProductService = ReturnType<typeof createProductService>;

/** One product per creation key: a repeat or a double click names the same id. */
function productIdForKey(key: string): string {
  return `prod_${createHash("sha256").update(`create-product\n${key}`).digest("hex").slice(0, 20)}`;
}

/** What a keyed createProduct asked for, every field that shapes the product, as checked. */
const createRequestHash = (request: unknown) => requestFingerprint("create-product", request);

const keyConflict = (key: string, productId: string) =>
  new DomainError(ErrorCode.IDEMPOTENCY_CONFLICT, `Idempotency key ${key} already created product ${productId} from another request; use a new key for a new product`, { productId });
