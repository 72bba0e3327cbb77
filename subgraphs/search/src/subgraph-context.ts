import type { RequestContext } from "#kernel";
import type { SearchService } from "./domain/search.service.js";

export interface SearchContext extends RequestContext {
  service: SearchService;
}

export function createSearchContext(base: RequestContext, service: SearchService): SearchContext {
  return { ...base, service };
}
