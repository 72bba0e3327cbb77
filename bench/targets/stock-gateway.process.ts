// Peer: the stock @apollo/gateway as its docs start it, a plain ApolloServer + ApolloGateway
// with default settings (standalone server, default fetcher, default caches). The only
// additions are what our subgraphs require of any gateway: the caller's verified identity
// in the signed internal header. With BENCH_POOLED=1 it swaps in our keep-alive pool and
// nothing else, which isolates what the transport alone is worth.
import { readFileSync } from "node:fs";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from "@apollo/gateway";
import { INTERNAL_HEADER, loadConfig, signInternalCredential, type Identity } from "#kernel";
import { createAccessTokenVerifier } from "../../gateway/src/auth/access-token-verifier.js";
import { PooledGraphQLDataSource } from "../../gateway/src/performance/pooled-data-source.js";
import type { GatewayContext } from "../../gateway/src/gateway-context.js";

const config = loadConfig();
const pooled = process.argv.includes("--pooled");
const verify = createAccessTokenVerifier({ secret: config.auth.jwtSecret, issuer: config.auth.jwtIssuer });
const sign = (context: GatewayContext, subgraph: string) => signInternalCredential(config.auth.internalSecret, { aud: subgraph, identity: context.identity, requestId: context.requestId });

const gateway = new ApolloGateway({
  supergraphSdl: readFileSync(config.gateway.supergraphPath, "utf8"),
  buildService: ({ name, url }) => {
    const willSendRequest = ({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void => {
      // Health checks carry no request context; every query does.
      request.http?.headers.set(INTERNAL_HEADER, sign(context as GatewayContext, name));
    };
    const target = config.gateway.subgraphUrls[name as keyof typeof config.gateway.subgraphUrls] ?? url!;
    return pooled
      ? new PooledGraphQLDataSource({ url: target, connections: config.gateway.performance.subgraphConnections, timeoutMs: config.gateway.subgraphTimeoutMs, queueMs: config.gateway.subgraphQueueMs, headersFor: (context) => ({ [INTERNAL_HEADER]: sign(context, name) }) })
      : new RemoteGraphQLDataSource<GatewayContext>({ url: target, willSendRequest });
  },
});
const server = new ApolloServer<GatewayContext>({ gateway });
const { url } = await startStandaloneServer(server, {
  listen: { port: config.gateway.port, host: config.host },
  context: async ({ req }) => {
    const header = req.headers.authorization;
    const identity: Identity | undefined = header?.startsWith("Bearer ") ? await verify(header.slice(7)) : undefined;
    return { identity, requestId: crypto.randomUUID(), caller: { key: "ip:bench", network: "ip:bench", site: undefined } };
  },
});
process.stdout.write(`BENCH_READY ${JSON.stringify({ url })}\n`);
const stop = () => void server.stop().finally(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
