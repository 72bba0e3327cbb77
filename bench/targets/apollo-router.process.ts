// Peer: Apollo Router 2.17 (crate apollo-router with the signed-identity native plugin, built
// by scripts/routers/build.sh) with its defaults and bench/targets/config/apollo-router.yaml.
// Same composed supergraph as every target, its routing URLs pointed at this run's subgraphs.
import { freePort } from "../harness/bench-environment.js";
import { loadConfig } from "#kernel";
import { ROUTER_BIN_DIR, runCompiledRouter } from "./compiled-router.js";
import { writeRoutedSupergraph } from "./router-files.js";

const config = loadConfig();
const runDir = process.argv[2]!;
const supergraphPath = writeRoutedSupergraph(runDir, "apollo-router", config.gateway.supergraphPath, config.gateway.subgraphUrls);
const listen = `127.0.0.1:${config.gateway.port}`;
const health = `127.0.0.1:${await freePort()}`;
await runCompiledRouter({
  name: "apollo-router",
  binary: `${ROUTER_BIN_DIR}/router`,
  args: ["--config", "bench/targets/config/apollo-router.yaml", "--supergraph", supergraphPath, "--log", "error"],
  env: {
    ROUTER_LISTEN: listen,
    ROUTER_HEALTH_LISTEN: health,
    JWT_SECRET: config.auth.jwtSecret,
    JWT_ISSUER: config.auth.jwtIssuer,
    INTERNAL_SECRET: config.auth.internalSecret,
    // The anonymous usage report Apollo Router otherwise sends at start.
    APOLLO_TELEMETRY_DISABLED: "true",
  },
  healthUrl: `http://${health}/health?ready`,
  graphqlUrl: `http://${listen}/graphql`,
});
