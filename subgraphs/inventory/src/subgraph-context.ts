import DataLoader from "dataloader";
import type { RequestContext } from "#kernel";
import type { InventoryService } from "./domain/inventory.service.js";
import { MAX_ID_LENGTH } from "./domain/stock-rules.js";

export interface InventoryContext extends RequestContext {
  service: InventoryService;
  /**
   * Available units per variant: one mirror read (and at most one SQL query) per request tick,
   * however many variants and products ask (a product's stock loads its variants through it).
   */
  availability: DataLoader<string, number>;
  /** The variants a product has stock rows for, for products referenced without their variants. */
  variantsOfProduct: DataLoader<string, string[]>;
}

export function createInventoryContext(base: RequestContext, service: InventoryService): InventoryContext {
  return {
    ...base,
    service,
    availability: new DataLoader(async (ids) => {
      // No variant has a longer id: such an id costs no read.
      const found = await service.availability(ids.filter((id) => id.length <= MAX_ID_LENGTH));
      return ids.map((id) => found.get(id) ?? 0);
    }),
    variantsOfProduct: new DataLoader(async (ids) => {
      const found = await service.variantsOf(ids.filter((id) => id.length <= MAX_ID_LENGTH));
      return ids.map((id) => found.get(id) ?? []);
    }),
  };
}
