// Peer: Hive Router (crate hive-router, built by scripts/routers/build.sh) with its defaults
// and bench/targets/config/hive-router.yaml: JWT verification with our secret and issuer, and
// our signed internal header on every subgraph request (a VRL expression). Same composed
// supergraph as every target, its routing URLs pointed at this run's subgraphs.
import { loadConfig } from "#kernel";
import { ROUTER_BIN_DIR, runCompiledRouter } from "./compiled-router.js";
import { writeJwks, writeRoutedSupergraph } from "./router-files.js";

const config = loadConfig();
const runDir = process.argv[2]!;
const supergraphPath = writeRoutedSupergraph(runDir, "hive-router", config.gateway.supergraphPath, config.gateway.subgraphUrls);
const jwksPath = writeJwks(runDir, "hive-router", config.auth.jwtSecret);
const address = `http://127.0.0.1:${config.gateway.port}`;
await runCompiledRouter({
  name: "hive-router",
  binary: `${ROUTER_BIN_DIR}/hive_router`,
  args: [],
  env: {
    ROUTER_CONFIG_FILE_PATH: "bench/targets/config/hive-router.yaml",
    SUPERGRAPH_FILE_PATH: supergraphPath,
    ROUTER_JWKS_PATH: jwksPath,
    HOST: "127.0.0.1",
    PORT: String(config.gateway.port),
    JWT_ISSUER: config.auth.jwtIssuer,
    INTERNAL_SECRET: config.auth.internalSecret,
  },
  healthUrl: `${address}/readiness`,
  graphqlUrl: `${address}/graphql`,
});
