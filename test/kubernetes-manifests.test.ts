// The Kustomize manifests (deploy/k8s) describe the platform as it really runs: every process
// has a Deployment, a Service and a disruption budget, probes name routes the processes serve,
// ports and URLs agree with the configuration, and ConfigMap plus Secret hold exactly the
// configuration table, valid for the configuration loader in production.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { existsSync, readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import { loadConfig, startHealthServer, SUBGRAPH_NAMES } from "#kernel";
import { waitFor } from "#kernel/testing";
import { startPaymentSimulator, type RunningPaymentSimulator } from "../services/payment-simulator/src/index.js";
import { renderKustomization, type Manifest } from "./support/kustomize-render.js";
import { buildServer, SERVER_ENTRIES } from "../scripts/build-server.js";
import { variablesInReadmeTable } from "./support/configuration-table.js";
import { startTestSupergraph, type TestSupergraph } from "./support/start-test-supergraph.js";

const PROCESSES = ["gateway", ...SUBGRAPH_NAMES, "notifications"] as const;
/** The gateway and the read-mostly subgraphs scale on load; the rest run a fixed count. */
const AUTOSCALED = ["gateway", "products", "search"];
const OVERLAYS = { dev: { namespace: "storefront-dev", image: "storefront:dev" }, prod: { namespace: "storefront", image: "registry.example.com/storefront:0.1.0" } };

const find = (manifests: Manifest[], kind: string, name: string) => manifests.find((m) => m.kind === kind && m.metadata.name === name);
const containerOf = (deployment: Manifest) => deployment.spec.template.spec.containers[0];
const environmentOf = (manifests: Manifest[]): Record<string, string> => ({ ...find(manifests, "ConfigMap", "storefront-config")!.data, ...find(manifests, "Secret", "storefront-secrets")!.stringData });

for (const [overlay, expected] of Object.entries(OVERLAYS)) {
  describe(`Kubernetes overlay ${overlay}`, () => {
    const manifests = renderKustomization(`deploy/k8s/overlays/${overlay}`);
    const environment = environmentOf(manifests);
    const config = loadConfig(environment);

    it("gives every process a Deployment, a Service on its port, a disruption budget, and the read path an autoscaler", () => {
      for (const name of PROCESSES) {
        const deployment = find(manifests, "Deployment", name);
        assert.ok(deployment, `Deployment ${name}`);
        const port = name === "gateway" ? config.gateway.port : name === "notifications" ? config.notifications.port : config.subgraphPorts[name];
        const container = containerOf(deployment);
        assert.deepEqual(container.ports, [{ name: "http", containerPort: port }], name);
        const service = find(manifests, "Service", name);
        assert.ok(service, `Service ${name}`);
        assert.deepEqual(service.spec.ports, [{ name: "http", port, targetPort: "http" }], name);
        assert.deepEqual(service.spec.selector, deployment.spec.selector.matchLabels);
        assert.deepEqual(deployment.spec.selector.matchLabels, { "app.kubernetes.io/name": name });
        assert.equal(deployment.spec.template.metadata.labels["app.kubernetes.io/name"], name);
        const budget = find(manifests, "PodDisruptionBudget", name);
        assert.ok(budget, `PodDisruptionBudget ${name}`);
        assert.deepEqual(budget.spec.selector.matchLabels, deployment.spec.selector.matchLabels);
        const autoscaler = find(manifests, "HorizontalPodAutoscaler", name);
        if (!AUTOSCALED.includes(name)) {
          assert.equal(autoscaler, undefined, name);
          continue;
        }
        assert.ok(autoscaler, `HorizontalPodAutoscaler ${name}`);
        assert.deepEqual(autoscaler.spec.scaleTargetRef, { apiVersion: "apps/v1", kind: "Deployment", name });
        assert.ok(autoscaler.spec.minReplicas >= 1 && autoscaler.spec.minReplicas <= autoscaler.spec.maxReplicas);
      }
      for (const m of manifests) assert.equal(m.metadata.namespace, expected.namespace, `${m.kind}/${m.metadata.name}`);
    });

    it("runs one image, each process by its own entry point, with requests, limits and a locked-down container", () => {
      for (const deployment of manifests.filter((m) => m.kind === "Deployment")) {
        const container = containerOf(deployment);
        assert.equal(container.image, expected.image, deployment.metadata.name);
        // The image's build (npm run build:server) writes dist/server/<name>.js for each server.
        const [node, script, ...rest] = container.command;
        assert.equal(node, "node");
        assert.deepEqual(rest, []);
        const built = /^dist\/server\/([\w-]+)\.js$/.exec(script)?.[1];
        assert.ok(built && built in SERVER_ENTRIES && existsSync(SERVER_ENTRIES[built]!), `${deployment.metadata.name}: ${script}`);
        for (const kind of ["requests", "limits"]) for (const resource of ["cpu", "memory"]) assert.ok(container.resources?.[kind]?.[resource], `${deployment.metadata.name} ${kind}.${resource}`);
        assert.equal(container.securityContext.allowPrivilegeEscalation, false);
        assert.equal(deployment.spec.template.spec.securityContext.runAsNonRoot, true);
        for (const probe of ["readinessProbe", "livenessProbe"]) assert.equal(container[probe]?.httpGet?.port, "http", `${deployment.metadata.name} ${probe}`);
        // The image's user is the one the pod insists on.
        assert.equal(deployment.spec.template.spec.securityContext.runAsUser, Number(/^USER (\d+)/m.exec(readFileSync("deploy/Dockerfile", "utf8"))?.[1]));
      }
      assert.match(readFileSync("deploy/Dockerfile", "utf8"), /^RUN npm run build:server$/m, "the image builds the servers it runs");
      const node = /^FROM node:(\d+)/m.exec(readFileSync("deploy/Dockerfile", "utf8"))?.[1];
      assert.equal(node, /\d+/.exec(JSON.parse(readFileSync("package.json", "utf8")).engines.node)?.[0], "the image's Node is the one package.json names");
    });

    it("holds exactly the configuration table in its ConfigMap and Secret, and every process reads both", () => {
      const configMap = Object.keys(find(manifests, "ConfigMap", "storefront-config")!.data);
      const secret = Object.keys(find(manifests, "Secret", "storefront-secrets")!.stringData);
      assert.deepEqual(configMap.filter((key) => secret.includes(key)), [], "a variable is in one place");
      const table = [...variablesInReadmeTable()];
      const kept = new Set([...configMap, ...secret]);
      assert.deepEqual(table.filter((name) => !kept.has(name)), [], "variables of the configuration table missing from deploy/k8s/base/configmap.yaml (or secret.yaml)");
      assert.deepEqual([...kept].filter((name) => !table.includes(name)), [], "variables in deploy/k8s/base that the configuration no longer reads");
      for (const key of ["JWT_SECRET", "INTERNAL_SECRET", "METRICS_TOKEN", "DATABASE_URL"]) assert.ok(secret.includes(key), `${key} is a secret`);
      for (const deployment of manifests.filter((m) => m.kind === "Deployment" && m.metadata.name !== "payment-simulator")) {
        assert.deepEqual(containerOf(deployment).envFrom, [{ configMapRef: { name: "storefront-config" } }, { secretRef: { name: "storefront-secrets" } }], deployment.metadata.name);
        for (const { name } of containerOf(deployment).env ?? []) assert.ok(table.includes(name), `${deployment.metadata.name} sets ${name}, which the configuration does not read`);
      }
    });

    it("configures production: the loader accepts it, /metrics wants a token, one gateway process per pod", () => {
      assert.equal(config.env, "production");
      assert.equal(config.host, "0.0.0.0");
      assert.ok(config.metrics.token);
      assert.equal(config.gateway.performance.workers, 1, "pods scale the gateway, not node:cluster workers");
    });

    it("points every URL of the configuration at a Service of the overlay, on the port it serves", () => {
      const services = new Map(manifests.filter((m) => m.kind === "Service").map((m) => [m.metadata.name, m]));
      for (const name of SUBGRAPH_NAMES) {
        const url = new URL(config.gateway.subgraphUrls[name]);
        assert.equal(url.hostname, name);
        assert.equal(Number(url.port), services.get(name)?.spec.ports[0].port, name);
      }
      const engineUrls = [environment.DATABASE_URL, environment.REDIS_URL, environment.MONGO_URL, environment.MYSQL_URL, environment.ELASTICSEARCH_URL, environment.S3_URL, environment.SMTP_URL, environment.OTEL_EXPORTER_OTLP_ENDPOINT, ...config.events.kafkaBrokers!.map((broker) => `kafka://${broker}`)];
      for (const url of engineUrls) {
        const host = new URL(url!).hostname;
        const service = services.get(host);
        assert.ok(service, `a Service named ${host} for ${url}`);
        if (service.metadata.labels?.["app.kubernetes.io/component"] === "engine") assert.equal(service.spec.type, "ExternalName");
      }
      if (config.payments.providerUrl && new URL(config.payments.providerUrl).hostname === "payment-simulator") {
        assert.ok(find(manifests, "Deployment", "payment-simulator") && services.get("payment-simulator"));
      }
    });

    it("lets Prometheus scrape every process's /metrics with the token from the Secret", () => {
      const monitor = find(manifests, "ServiceMonitor", "storefront")!;
      assert.deepEqual([...monitor.spec.selector.matchExpressions[0].values].sort(), [...PROCESSES].sort());
      assert.deepEqual(monitor.spec.endpoints[0].bearerTokenSecret, { name: "storefront-secrets", key: "METRICS_TOKEN" });
      assert.equal(monitor.spec.endpoints[0].port, "http");
    });

    it("renders as kubectl kustomize renders it (where kubectl is installed)", (t) => {
      const kubectl = spawnSync("kubectl", ["kustomize", `deploy/k8s/overlays/${overlay}`], { encoding: "utf8" });
      if (kubectl.error || kubectl.status !== 0) return t.skip("kubectl is not installed here");
      const byKey = (list: Manifest[]) => Object.fromEntries(list.map((m) => [`${m.kind}/${m.metadata.name}`, m]));
      const theirs = byKey(parseAllDocuments(kubectl.stdout).map((document) => document.toJS() as Manifest));
      assert.deepEqual(byKey(manifests), theirs);
    });
  });
}

describe("Kubernetes probes and scrapes against the running processes", () => {
  let sg: TestSupergraph;
  let simulator: RunningPaymentSimulator;
  let notifications: Awaited<ReturnType<typeof startHealthServer>>;
  const manifests = renderKustomization("deploy/k8s/overlays/dev");

  before(async () => {
    sg = await startTestSupergraph();
    simulator = await startPaymentSimulator();
    // What services/notifications/src/main.ts serves beside the consumer.
    notifications = await startHealthServer({ name: "notifications", port: 0, host: "127.0.0.1" });
  });
  after(async () => {
    await sg?.close();
    await simulator?.close();
    await notifications?.close();
  });

  it("every probe path and the scrape path answer 200 on the process the Deployment runs", async () => {
    const origins: Record<string, string> = {
      gateway: new URL(sg.gatewayUrl).origin,
      notifications: `http://127.0.0.1:${notifications.port}`,
      "payment-simulator": new URL(simulator.url).origin,
      ...Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, new URL(sg.subgraphUrls[name]!).origin])),
    };
    const scraped = new Set(find(manifests, "ServiceMonitor", "storefront")!.spec.selector.matchExpressions[0].values as string[]);
    for (const deployment of manifests.filter((m) => m.kind === "Deployment")) {
      const name = deployment.metadata.name;
      const container = containerOf(deployment);
      const paths = ["readinessProbe", "livenessProbe", "startupProbe"].map((probe) => container[probe]?.httpGet?.path).filter(Boolean) as string[];
      if (scraped.has(name)) paths.push("/metrics");
      for (const path of paths) {
        const response = await fetch(origins[name]! + path);
        assert.equal(response.status, 200, `${name} ${path}`);
        await response.arrayBuffer();
      }
    }
  });
});

describe("a process started as its Deployment starts it", () => {
  it("runs the Deployment's command with the overlay's configuration, passes its probes, and serves /metrics to the Secret's token only", async () => {
    const manifests = renderKustomization("deploy/k8s/overlays/prod");
    const deployment = find(manifests, "Deployment", "products")!;
    const container = containerOf(deployment);
    const port = await freePort();
    // The overlay's configuration, but on loopback and without the engines this machine lacks.
    const env = { ...process.env, ...environmentOf(manifests), HOST: "127.0.0.1", PRODUCTS_PORT: String(port), MONGO_URL: "", KAFKA_BROKERS: "", REDIS_URL: "", S3_URL: "", OTEL_EXPORTER_OTLP_ENDPOINT: "", LOG_LEVEL: "silent" };
    // As the image does: the servers built first.
    await buildServer();
    const [command, ...args] = container.command as string[];
    const child = spawn(command!, args, { env, stdio: "ignore" });
    try {
      const origin = `http://127.0.0.1:${port}`;
      const ready = container.readinessProbe.httpGet.path as string;
      await waitFor("the readiness probe passes", async () => (await fetch(origin + ready)).status === 200, { timeoutMs: 45_000, intervalMs: 200 });
      assert.equal((await fetch(origin + container.livenessProbe.httpGet.path)).status, 200);
      const monitor = find(manifests, "ServiceMonitor", "storefront")!.spec.endpoints[0];
      const token = environmentOf(manifests)[monitor.bearerTokenSecret.key as string];
      assert.equal((await fetch(origin + monitor.path)).status, 401, "no token");
      assert.equal((await fetch(origin + monitor.path, { headers: { authorization: "Bearer not-the-token-at-all-0123456789" } })).status, 401);
      const scraped = await fetch(origin + monitor.path, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(scraped.status, 200);
      assert.match(await scraped.text(), /^nodejs_heap_size_used_bytes\{service="products"\} \d/m, "labelled with its own service");
    } finally {
      child.kill("SIGTERM");
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}
