import { openPlatform, SUBGRAPH_NAMES, type Config, type Logger, type SubgraphName } from "#kernel";
import { startProductsSubgraph } from "../subgraphs/products/src/products-subgraph.js";
import { startGateway } from "../gateway/src/gateway-server.js";
import { issueAccessToken } from "../gateway/src/auth/access-token-verifier.js";
import { seedDemoCatalog } from "./seed-demo-catalog.js";

export interface StartSupergraphOptions {
  config: Config;
  logger: Logger;
  /** Bind every server to a free port (tests) instead of the configured ones. */
  ephemeralPorts?: boolean;
}

export interface RunningSupergraph {
  gatewayUrl: string;
  subgraphUrls: Record<string, string>;
  /** A demo message with the URLs and development tokens. */
  banner(seconds: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * The whole platform in one process: shared infrastructure, every subgraph, the gateway.
 * This is the zero-setup mode (`npm start`) and what end-to-end tests start on free ports.
 */
export async function startSupergraph({ config, logger, ephemeralPorts = false }: StartSupergraphOptions): Promise<RunningSupergraph> {
  const { applyMigrations } = await import("../scripts/migrate/apply-migrations.js");
  const platform = await openPlatform(config, logger, { migrate: async (url) => void (await applyMigrations(url)) });
  const closers: (() => Promise<void>)[] = [platform.close];
  const port = (name: SubgraphName) => (ephemeralPorts ? 0 : config.subgraphPorts[name]);
  try {
    const products = await startProductsSubgraph(platform, { port: port("products") });
    closers.unshift(products.close);
    await seedDemoCatalog({ store: products.store, count: config.catalog.seedProducts, logger });

    const subgraphUrls: Record<string, string> = { ...config.gateway.subgraphUrls, products: products.url };
    const gatewayConfig: Config = { ...config, gateway: { ...config.gateway, subgraphUrls: subgraphUrls as Record<SubgraphName, string> } };
    const gateway = await startGateway({ config: gatewayConfig, logger, bus: platform.bus, port: ephemeralPorts ? 0 : config.gateway.port });
    closers.unshift(gateway.close);

    return {
      gatewayUrl: gateway.url,
      subgraphUrls,
      banner: async (seconds) => {
        const auth = { secret: config.auth.jwtSecret, issuer: config.auth.jwtIssuer };
        const customer = await issueAccessToken(auth, { userId: "demo-customer", roles: ["customer"] }, 86_400);
        const admin = await issueAccessToken(auth, { userId: "demo-admin", roles: ["admin"] }, 86_400);
        const base = gateway.url.replace(/\/graphql$/, "");
        return [
          `\nStorefront supergraph ready in ${seconds}s`,
          `  GraphQL      ${gateway.url}  (WebSocket subscriptions on the same URL)`,
          `  Explorer     ${base}/explorer`,
          `  Health       ${base}/healthz   ${base}/readyz`,
          `  Engines      ${Object.entries(platform.engines).map(([role, engine]) => `${role}=${engine}`).join(", ")}`,
          `  Subgraphs    ${SUBGRAPH_NAMES.map((n) => `${n} ${subgraphUrls[n]}`).join("\n               ")}`,
          `\nDevelopment tokens (24 h), for the explorer's headers as {"Authorization": "Bearer <token>"}:`,
          `  customer  ${customer}`,
          `  admin     ${admin}\n\n`,
        ].join("\n");
      },
      async close() {
        for (const close of closers) await close().catch((error: unknown) => logger.warn("close failed", { error: String(error) }));
      },
    };
  } catch (error) {
    for (const close of closers) await close().catch(() => undefined);
    throw error;
  }
}
