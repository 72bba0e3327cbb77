// Each Kustomize overlay, rendered, is valid Kubernetes by the API's own schemas: kubeconform
// -strict against the Kubernetes release's OpenAPI document and the ServiceMonitor's CRD,
// offline (scripts/services.sh installs both; scripts/k8s/kubeconform-schemas.ts converts
// them). And the validation has teeth: a misspelt field, a wrong type, a missing required
// field or a duplicated key is refused, naming where.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { stringify } from "yaml";
import { schemaFileName, writeCustomResourceSchemas, writeKubeconformSchemas } from "../scripts/k8s/kubeconform-schemas.js";
import { renderKustomization, type Manifest } from "./support/kustomize-render.js";

const KUBECONFORM = ".run/bin/kubeconform";
/** The releases scripts/services.sh pins (K8S_VERSION, PROM_OPERATOR_VERSION). */
const servicesScript = readFileSync("scripts/services.sh", "utf8");
const K8S_VERSION = /^K8S_VERSION=(v[\d.]+)$/m.exec(servicesScript)![1]!;
const PROM_OPERATOR_VERSION = /^PROM_OPERATOR_VERSION=(v[\d.]+)$/m.exec(servicesScript)![1]!;
const SWAGGER = `.run/k8s/kubernetes-${K8S_VERSION}-swagger.json`;
const SERVICE_MONITOR_CRD = `.run/k8s/prometheus-operator-${PROM_OPERATOR_VERSION}-servicemonitors.yaml`;
const MISSING = !existsSync(KUBECONFORM) || !existsSync(SWAGGER) || !existsSync(SERVICE_MONITOR_CRD);
const SKIP = MISSING && "kubeconform and the Kubernetes schemas are not installed: run scripts/services.sh up kubeconform (npm run test:all does)";

interface KubeconformResult {
  kind: string;
  name: string;
  version: string;
  status: "statusValid" | "statusInvalid" | "statusError" | "statusSkipped" | "statusEmpty";
  msg?: string;
}

describe("kubeconform's schema file names", () => {
  it("follow its registry's layout: kind, first word of the group, version, lower case", () => {
    assert.equal(schemaFileName({ group: "apps", version: "v1", kind: "Deployment" }), "deployment-apps-v1.json");
    assert.equal(schemaFileName({ group: "", version: "v1", kind: "ConfigMap" }), "configmap-v1.json");
    assert.equal(schemaFileName({ group: "autoscaling", version: "v2", kind: "HorizontalPodAutoscaler" }), "horizontalpodautoscaler-autoscaling-v2.json");
    assert.equal(schemaFileName({ group: "networking.k8s.io", version: "v1", kind: "NetworkPolicy" }), "networkpolicy-networking-v1.json");
    assert.equal(schemaFileName({ group: "monitoring.coreos.com", version: "v1", kind: "ServiceMonitor" }), "servicemonitor-monitoring-v1.json");
  });
});

describe("Kubernetes manifests validated by kubeconform -strict", { skip: SKIP }, () => {
  let work: string;
  let schemas: string;

  before(() => {
    work = mkdtempSync(join(tmpdir(), "kubeconform-"));
    schemas = join(work, "schemas");
    const written = writeKubeconformSchemas(SWAGGER, schemas, K8S_VERSION) + writeCustomResourceSchemas(SERVICE_MONITOR_CRD, schemas, K8S_VERSION);
    assert.ok(written > 100, `${written} schemas`);
  });
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** Runs kubeconform on YAML text; one result per resource, valid ones included. */
  const validate = (yaml: string, name: string): KubeconformResult[] => {
    const file = join(work, `${name}.yaml`);
    writeFileSync(file, yaml);
    const run = spawnSync(KUBECONFORM, ["-strict", "-output", "json", "-verbose", "-schema-location", schemas, "-kubernetes-version", K8S_VERSION.slice(1), file], { encoding: "utf8", timeout: 60_000 });
    assert.equal(run.error, undefined);
    const results = (JSON.parse(run.stdout) as { resources: KubeconformResult[] }).resources;
    // Exit status and results agree: a refusal is a failed run, as CI would see it.
    assert.equal(run.status === 0, results.every((r) => r.status === "statusValid"), run.stdout + run.stderr);
    return results;
  };
  const asYaml = (manifests: Manifest[]) => manifests.map((m) => stringify(m)).join("---\n");

  for (const overlay of ["dev", "prod"]) {
    it(`accepts every object of the ${overlay} overlay, each checked against its kind's schema`, () => {
      const manifests = renderKustomization(`deploy/k8s/overlays/${overlay}`);
      const results = validate(asYaml(manifests), overlay);
      assert.deepEqual(
        results.filter((r) => r.status !== "statusValid").map((r) => `${r.kind}/${r.name}: ${r.status} ${r.msg}`),
        [],
      );
      assert.equal(results.length, manifests.length, "no object skipped");
      const kinds = new Set(results.map((r) => `${r.version} ${r.kind}`));
      for (const kind of ["apps/v1 Deployment", "v1 Service", "v1 ConfigMap", "v1 Secret", "autoscaling/v2 HorizontalPodAutoscaler", "policy/v1 PodDisruptionBudget", "monitoring.coreos.com/v1 ServiceMonitor"]) {
        assert.ok(kinds.has(kind), `${overlay} validated a ${kind}`);
      }
    });
  }

  it("refuses a misspelt field, a wrong type, a missing required field and an unknown kind, naming each", () => {
    const manifests = renderKustomization("deploy/k8s/overlays/prod");
    const pick = (kind: string, name: string) => structuredClone(manifests.find((m) => m.kind === kind && m.metadata.name === name)!);
    const misspelt = pick("Deployment", "gateway");
    const container = misspelt.spec.template.spec.containers[0];
    container.readinesProbe = container.readinessProbe;
    delete container.readinessProbe;
    const wrongType = pick("HorizontalPodAutoscaler", "gateway");
    wrongType.spec.minReplicas = "two";
    const nameless = pick("Deployment", "orders");
    delete nameless.spec.template.spec.containers[0].name;
    const monitor = pick("ServiceMonitor", "storefront");
    monitor.spec.endpoints[0].bearerTokenSecrets = monitor.spec.endpoints[0].bearerTokenSecret;
    const unknownVersion = { ...pick("HorizontalPodAutoscaler", "search"), apiVersion: "autoscaling/v9" };

    const results = validate(asYaml([misspelt, wrongType, nameless, monitor, unknownVersion, pick("Service", "gateway")]), "broken");
    const outcome = (kind: string, name: string) => results.find((r) => r.kind === kind && r.name === name)!;
    assert.equal(outcome("Deployment", "gateway").status, "statusInvalid");
    assert.match(outcome("Deployment", "gateway").msg!, /containers\/0.*'readinesProbe' not allowed/);
    assert.equal(outcome("HorizontalPodAutoscaler", "gateway").status, "statusInvalid");
    assert.match(outcome("HorizontalPodAutoscaler", "gateway").msg!, /minReplicas/);
    assert.equal(outcome("Deployment", "orders").status, "statusInvalid");
    assert.match(outcome("Deployment", "orders").msg!, /containers\/0.*missing propert.*name/);
    assert.equal(outcome("ServiceMonitor", "storefront").status, "statusInvalid");
    assert.match(outcome("ServiceMonitor", "storefront").msg!, /'bearerTokenSecrets' not allowed/);
    // No schema for the version: an error, never a silent pass.
    assert.equal(outcome("HorizontalPodAutoscaler", "search").status, "statusError");
    // The untouched object beside them still passes: the refusals are the edits, not the file.
    assert.equal(outcome("Service", "gateway").status, "statusValid");
  });

  it("refuses a duplicated key, which a YAML parser would otherwise resolve silently to the last value", () => {
    const service = renderKustomization("deploy/k8s/overlays/prod").find((m) => m.kind === "Service" && m.metadata.name === "gateway")!;
    const yaml = stringify(service).replace(/^spec:\n/m, "spec:\n  type: ClusterIP\n  type: NodePort\n");
    const [result] = validate(yaml, "duplicate");
    assert.notEqual(result?.status, "statusValid");
    assert.match(result!.msg!, /already (set|defined)|duplicat/i);
  });
});
