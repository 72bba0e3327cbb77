import { createHash } from "node:crypto";
import { clientNetwork } from "#kernel/http/client-network.ts";
import {
  DomainError,
  ErrorCode,
  MAX_CATALOG_ID_LENGTH,
  ProductViewEventTypes,
  Topics,
  badInput,
  newEvent,
  notFound,
  type EventBus,
  type KeyValueStore,
  type Logger,
  type ProductViewedPayload,
  type RequestContext,
} from "#kernel";
import type { Product } from "../domain/product.js";
import { TRENDING_KEY_PREFIX, viewCategory } from "./trending-window.js";
import { createViewPublisher } from "./view-publisher.js";

export interface ProductViewServiceDeps {
  kv: KeyValueStore;
  bus: EventBus;
  /** Products by id, through the hot cache: a known (or known missing) product costs no catalog read. */
  findByIds: (ids: readonly string[]) => Promise<Map<string, Product>>;
  /** How long a viewer's second view of one product is not counted again (default 5 minutes). */
  repeatWindowMs?: number;
  clock?: () => number;
  logger?: Logger;
  /** Namespace of the repeat-window keys (default `trending`). */
  keyPrefix?: string;
}

export const DEFAULT_VIEW_REPEAT_WINDOW_MS = 5 * 60_000;

/**
 * Views of one product one client network may add within the repeat window, however many
 * viewers it presents. A guest cart token and an account cost nothing to make, so neither
 * tells people apart well enough to rank products by: 40 tokens from one address put a
 * product at the top of the hour. A few people behind one address still count.
 */
export const MAX_VIEWS_PER_NETWORK = 3;

/**
 * Who viewed, as the repeat window tells viewers apart: a signed-in customer by user id; an
 * anonymous one by client address and guest cart, so two shoppers behind one address count
 * twice while one shopper reloading counts once. Hashed: the key holds no address.
 */
function viewerOf(ctx: Pick<RequestContext, "identity" | "clientAddress" | "guestCartId">): string {
  return hashed(ctx.identity ? `user:${ctx.identity.userId}` : `guest:${ctx.clientAddress ?? "unknown"}:${ctx.guestCartId ?? ""}`);
}

const hashed = (text: string) => createHash("sha256").update(text).digest("base64url").slice(0, 22);

/**
 * Records product views for the trending rankings. A view is cheap: an id check, the product
 * from the hot cache, one SET NX PX for the repeat window and its event, published together
 * with the views arriving meanwhile (see view-publisher.ts). Nothing is
 * counted here; the trending counter counts the events.
 */
export function createProductViewService(deps: ProductViewServiceDeps) {
  const { kv, bus, logger } = deps;
  const repeatWindowMs = deps.repeatWindowMs ?? DEFAULT_VIEW_REPEAT_WINDOW_MS;
  const clock = deps.clock ?? Date.now;
  const publisher = createViewPublisher(bus, Topics.productViewed);

  return {
    /**
     * Counts a view of `productId` by the caller: true when counted, false when the same viewer
     * already had it counted within the repeat window. NOT_FOUND for a product the catalog does
     * not hold; BAD_USER_INPUT for an id no product can have.
     */
    async record(productId: string, ctx: Pick<RequestContext, "identity" | "clientAddress" | "guestCartId">): Promise<boolean> {
      if (productId.trim().length === 0 || productId.length > MAX_CATALOG_ID_LENGTH || /[\u0000-\u001f\u007f]/.test(productId)) {
        throw badInput(`productId must have 1-${MAX_CATALOG_ID_LENGTH} characters and no control characters`, { field: "productId" });
      }
      const product = (await deps.findByIds([productId])).get(productId);
      if (!product) throw notFound("Product", productId);
      const repeatKey = `${deps.keyPrefix ?? TRENDING_KEY_PREFIX}:seen:${viewerOf(ctx)}:${productId}`;
      const now = clock();
      const stamp = String(now);
      if (!(await kv.setIfAbsent(repeatKey, stamp, repeatWindowMs))) return false;
      const networkKey = `${deps.keyPrefix ?? TRENDING_KEY_PREFIX}:network:${hashed(clientNetwork(ctx.clientAddress))}:${productId}`;
      if ((await kv.increment(networkKey, 1, repeatWindowMs)) > MAX_VIEWS_PER_NETWORK) return false;
      const payload: ProductViewedPayload = { productId, category: viewCategory(product.category) ?? "", viewedAt: new Date(now).toISOString() };
      try {
        await publisher.publish(newEvent(ProductViewEventTypes.viewed, productId, payload, new Date(now)));
      } catch (error) {
        // The view was not announced: let the viewer's retry count it.
        await kv.deleteIfEquals(repeatKey, stamp).catch(() => undefined);
        await kv.increment(networkKey, -1).catch(() => undefined);
        logger?.warn("product_view_not_published", { productId, error: error instanceof Error ? error.message : String(error) });
        throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE, "The view could not be recorded; try again");
      }
      return true;
    },
  };
}

export type ProductViewService = ReturnType<typeof createProductViewService>;
