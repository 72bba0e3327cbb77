// Peer: Hive Gateway (@graphql-hive/gateway, pinned in package.json) with default settings,
// served by its runtime on node:http as its CLI does. The only addition is what our
// subgraphs require of any gateway: the caller's verified identity in the signed internal
// header, added to every subgraph request through its header propagation option.
import { createServer } from "node:http";
import { createGatewayRuntime } from "@graphql-hive/gateway";
import { httpOrigin, INTERNAL_HEADER, loadConfig, signInternalCredential, type Identity } from "#kernel";
import { createAccessTokenVerifier } from "../../gateway/src/auth/access-token-verifier.js";

const config = loadConfig();
const verify = createAccessTokenVerifier({ secret: config.auth.jwtSecret, issuer: config.auth.jwtIssuer });
// Tokens verified once per process, as a gateway's JWT plugin would cache them.
const identities = new Map<string, Promise<Identity>>();

const gateway = createGatewayRuntime({
  supergraph: config.gateway.supergraphPath,
  transportEntries: Object.fromEntries(Object.entries(config.gateway.subgraphUrls).map(([name, location]) => [name, { location }])),
  // Its documented header propagation: each subgraph request gets the headers returned here.
  propagateHeaders: {
    async fromClientToSubgraphs({ request, subgraphName }) {
      const header = request.headers.get("authorization");
      let identity: Identity | undefined;
      if (header?.startsWith("Bearer ")) {
        const token = header.slice(7);
        let verified = identities.get(token);
        if (!verified) identities.set(token, (verified = verify(token)));
        identity = await verified;
      }
      return { [INTERNAL_HEADER]: signInternalCredential(config.auth.internalSecret, { aud: subgraphName, identity, requestId: crypto.randomUUID() }) };
    },
  },
});
const server = createServer(gateway);
server.listen(config.gateway.port, config.host, () => {
  process.stdout.write(`BENCH_READY ${JSON.stringify({ url: `${httpOrigin(config.host, config.gateway.port)}/graphql` })}\n`);
});
const stop = () => void Promise.resolve(gateway.dispose()).finally(() => server.close(() => process.exit(0)));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
