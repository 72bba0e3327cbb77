import type { BenchProcess } from "../harness/child-process.js";
import { freePort } from "../harness/bench-environment.js";
import { startBenchProcess } from "../harness/child-process.js";
import { ROUTER_BIN_DIR } from "./compiled-router.js";

/** What the load generator can aim at. */
export type TargetName = "direct" | "stock" | "stock-pooled" | "hive" | "hive-router" | "apollo-router" | "ours" | "ours-apollo" | "ours-2w" | "ours-cached" | "ours-cached-2w";

export const TARGETS: Record<TargetName, string> = {
  direct: "the products subgraph called directly (the floor: no gateway at all)",
  stock: "@apollo/gateway 2.14.4 with default settings (ApolloServer standalone + ApolloGateway)",
  "stock-pooled": "the stock gateway with only its transport swapped for our keep-alive pool",
  hive: "Hive Gateway 2.15.1 (@graphql-hive/gateway runtime, default settings)",
  "hive-router": "Hive Router 0.3.10 (Rust, crate hive-router), default settings, JWT and our signed header by configuration",
  "apollo-router": "Apollo Router 2.17.0 (Rust, crate apollo-router), default settings, JWT and our signed header by a native plugin",
  ours: "our gateway, one process (GATEWAY_WORKERS=1, the default), response cache off",
  "ours-apollo": "ours with every request through Apollo Server's pipeline (GATEWAY_PERSISTED_ANSWERS=apollo)",
  "ours-2w": "our gateway, 2 node:cluster workers, response cache off",
  "ours-cached": "our gateway, one process, public catalog response cache on",
  "ours-cached-2w": "our gateway, 2 node:cluster workers, public catalog response cache on",
};

export interface RunningTarget {
  name: TargetName;
  url: string;
  /** The gateway's process (memory is sampled over its tree); none for a direct call. */
  pid?: number;
  stop(): Promise<void>;
}

/** The compiled peers, built outside CI by scripts/routers/build.sh; absent ones are skipped. */
export const COMPILED_ROUTERS: Partial<Record<TargetName, string>> = {
  "hive-router": `${ROUTER_BIN_DIR}/hive_router`,
  "apollo-router": `${ROUTER_BIN_DIR}/router`,
};

/** Starts one target in its own process against the subgraphs the run started. */
export async function startTarget(
  name: TargetName,
  context: { env: Record<string, string>; subgraphUrls: Record<string, string>; logDir: string; sharedBus: boolean; persistedManifest?: string },
): Promise<RunningTarget> {
  if (name === "direct") return { name, url: context.subgraphUrls.products!, stop: async () => undefined };
  const port = await freePort();
  const env: Record<string, string | undefined> = {
    ...process.env,
    ...context.env,
    GATEWAY_PORT: String(port),
    ...Object.fromEntries(Object.entries(context.subgraphUrls).map(([subgraph, url]) => [`${subgraph.toUpperCase()}_URL`, url])),
  };
  let child: BenchProcess;
  const logFile = `${context.logDir}/${name}.log`;
  if (name === "stock" || name === "stock-pooled") {
    child = await startBenchProcess({ name, entry: "bench/targets/stock-gateway.process.ts", args: name === "stock-pooled" ? ["--pooled"] : [], env, logFile });
  } else if (name === "hive") {
    child = await startBenchProcess({ name, entry: "bench/targets/hive-gateway.process.ts", env, logFile });
  } else if (name === "hive-router" || name === "apollo-router") {
    child = await startBenchProcess({ name, entry: `bench/targets/${name}.process.ts`, args: [context.logDir], env, logFile });
  } else {
    const cached = name.startsWith("ours-cached");
    if (cached && !context.sharedBus) throw new Error(`${name} needs KAFKA_BROKERS: without a shared bus the gateway cannot hear catalog changes`);
    Object.assign(env, {
      APP_ENV: "production",
      GATEWAY_WORKERS: name.endsWith("-2w") ? "2" : "1",
      RESPONSE_CACHE_TTL_SECONDS: cached ? "30" : "0",
      GATEWAY_PERSISTED_ANSWERS: name === "ours-apollo" ? "apollo" : "own",
      ...(context.persistedManifest ? { PERSISTED_OPERATIONS_PATH: context.persistedManifest } : {}),
    });
    child = await startBenchProcess({ name, entry: "gateway/src/main.ts", env, logFile, readyUrl: `http://127.0.0.1:${port}/healthz` });
  }
  return { name, url: `http://127.0.0.1:${port}/graphql`, pid: child.pid, stop: child.stop };
}
