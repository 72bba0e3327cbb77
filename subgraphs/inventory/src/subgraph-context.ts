import DataLoader from "dataloader";
import type { RequestContext } from "#kernel";
import type { InventoryService } from "./domain/inventory.service.js";

export interface InventoryContext extends RequestContext {
  service: InventoryService;
  /** Available units per product: one mirror read (and at most one SQL query) per request tick. */
  availability: DataLoader<string, number>;
}

export function createInventoryContext(base: RequestContext, service: InventoryService): InventoryContext {
  return {
    ...base,
    service,
    availability: new DataLoader(async (ids) => {
      const found = await service.availability(ids);
      return ids.map((id) => found.get(id) ?? 0);
    }),
  };
}
