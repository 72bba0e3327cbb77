import { startSubgraphServer, type Platform, type RunningServer } from "#kernel";
import { createProductsSchema } from "./subgraph.js";
import { createProductService, type ProductService } from "./domain/product.service.js";
import { startProductChangeRelay } from "./domain/product-change-relay.js";
import { createProductsContext } from "./subgraph-context.js";
import { openProductStore } from "./adapters/open-product-store.js";
import type { ProductStore } from "./ports/product-store.js";

export interface RunningProducts extends RunningServer {
  service: ProductService;
  store: ProductStore;
}

/** Starts the products subgraph on the platform: store, change relay, service, server. */
export async function startProductsSubgraph(platform: Platform, options: { port?: number; store?: ProductStore } = {}): Promise<RunningProducts> {
  const { config, logger: rootLogger } = platform;
  const logger = rootLogger.child({ subgraph: "products" });
  const store = options.store ?? (await openProductStore(config));
  const relay = startProductChangeRelay({ store, bus: platform.bus, logger });
  const service = createProductService({ store, onWrite: relay.nudge });
  const server = await startSubgraphServer({
    name: "products",
    schema: createProductsSchema(),
    internalSecret: config.auth.internalSecret,
    logger,
    extendContext: (base) => createProductsContext(base, service),
    port: options.port ?? config.subgraphPorts.products,
    host: config.host,
  });
  return {
    ...server,
    service,
    store,
    async close() {
      await server.close();
      await relay.stop();
      await store.close();
    },
  };
}
