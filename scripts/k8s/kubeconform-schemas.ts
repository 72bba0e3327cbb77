// The Kubernetes API's OpenAPI v2 document (api/openapi-spec/swagger.json of the
// k8s.io/kubernetes module, which scripts/services.sh copies to .run/k8s/) turned into the
// per-kind JSON schemas kubeconform reads, laid out as its default schema registry is:
//
//   <out>/v<version>-standalone-strict/<kind>-<group>-<version>.json   (apps/v1 Deployment:
//   deployment-apps-v1.json; core v1 Service: service-v1.json; the group is its first
//   dot-separated word, networking.k8s.io -> networking)
//
// so `kubeconform -strict -schema-location <out> -kubernetes-version <version>` validates
// offline. The conversion does what kubeconform's own schemas (openapi2jsonschema) do:
// - each kind's file carries the definitions it reaches, under `definitions`, so the
//   swagger's `#/definitions/...` references resolve inside the file (and recursive types
//   such as JSONSchemaProps stay finite);
// - strict: an object that lists its properties admits no others, which is how a misspelt
//   field is caught (kubectl's own client-side validation did the same);
// - int-or-string (ports, maxUnavailable) admits a string or an integer, and a Quantity
//   (cpu: 1, memory: 256Mi) a string or a number, as the API server parses them;
// - apiVersion and kind admit only the kind's own values.
// Descriptions are dropped: they are most of the document's size and no validation.
// Custom resources (the ServiceMonitor) come from their CustomResourceDefinition's
// openAPIV3Schema, made strict the same way except where the CRD keeps unknown fields.
//
//   npx tsx scripts/k8s/kubeconform-schemas.ts <swagger.json> <out-dir> <version> [crd.yaml...]
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

type Schema = { [key: string]: unknown };
interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

const REF_PREFIX = "#/definitions/";
const INT_OR_STRING = { oneOf: [{ type: "string" }, { type: "integer" }] };
const QUANTITY = { oneOf: [{ type: "string" }, { type: "number" }] };
const QUANTITY_DEFINITION = "io.k8s.apimachinery.pkg.api.resource.Quantity";

/** The file name kubeconform looks up for a kind (registry.go, schemaPath). */
export function schemaFileName({ group, version, kind }: GroupVersionKind): string {
  const suffix = group === "" ? `-${version}` : `-${group.split(".")[0]}-${version}`;
  return `${kind}${suffix}.json`.toLowerCase();
}

/** The folder under the schema location that holds a release's strict schemas. */
export function strictSchemaFolder(kubernetesVersion: string): string {
  return `v${kubernetesVersion.replace(/^v/, "")}-standalone-strict`;
}

/**
 * Writes one strict schema per kind the document defines; returns how many. A kind served
 * under several group-versions gets a file for each.
 */
export function writeKubeconformSchemas(swaggerPath: string, outDir: string, kubernetesVersion: string): number {
  const definitions = (JSON.parse(readFileSync(swaggerPath, "utf8")) as { definitions: Record<string, Schema> }).definitions;
  const converted = new Map(Object.entries(definitions).map(([name, schema]) => [name, convert(name, schema)]));
  const folder = join(outDir, strictSchemaFolder(kubernetesVersion));
  mkdirSync(folder, { recursive: true });
  let written = 0;
  for (const [name, schema] of Object.entries(definitions)) {
    const kinds = (schema["x-kubernetes-group-version-kind"] as GroupVersionKind[] | undefined) ?? [];
    for (const gvk of kinds) {
      const root = structuredClone(converted.get(name)!);
      pinKind(root, gvk);
      const reached = reachableDefinitions(root, converted);
      writeFileSync(join(folder, schemaFileName(gvk)), JSON.stringify({ $schema: "http://json-schema.org/draft-07/schema#", ...root, definitions: Object.fromEntries(reached) }));
      written += 1;
    }
  }
  return written;
}

interface CustomResourceDefinition {
  kind: string;
  spec: { group: string; names: { kind: string }; versions: { name: string; schema?: { openAPIV3Schema?: Schema } }[] };
}

/** Writes the strict schema of every version of the CRDs in a YAML file; returns how many. */
export function writeCustomResourceSchemas(crdPath: string, outDir: string, kubernetesVersion: string): number {
  const folder = join(outDir, strictSchemaFolder(kubernetesVersion));
  mkdirSync(folder, { recursive: true });
  let written = 0;
  for (const document of parseAllDocuments(readFileSync(crdPath, "utf8"))) {
    const crd = document.toJS() as CustomResourceDefinition | null;
    if (crd?.kind !== "CustomResourceDefinition") continue;
    for (const version of crd.spec.versions) {
      const schema = version.schema?.openAPIV3Schema;
      if (!schema) continue;
      const gvk = { group: crd.spec.group, version: version.name, kind: crd.spec.names.kind };
      const root = convertNode(schema) as Schema;
      pinKind(root, gvk);
      writeFileSync(join(folder, schemaFileName(gvk)), JSON.stringify({ $schema: "http://json-schema.org/draft-07/schema#", ...root }));
      written += 1;
    }
  }
  return written;
}

function pinKind(root: Schema, gvk: GroupVersionKind): void {
  const properties = root.properties as Record<string, Schema> | undefined;
  if (properties?.apiVersion) properties.apiVersion = { type: "string", enum: [gvk.group === "" ? gvk.version : `${gvk.group}/${gvk.version}`] };
  if (properties?.kind) properties.kind = { type: "string", enum: [gvk.kind] };
}

function convert(name: string, schema: Schema): Schema {
  if (name === QUANTITY_DEFINITION) return QUANTITY;
  return convertNode(schema) as Schema;
}

function convertNode(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(convertNode);
  if (node === null || typeof node !== "object") return node;
  const schema = node as Schema;
  if (schema.format === "int-or-string") return INT_OR_STRING;
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "description" && typeof value === "string") continue;
    if (key === "properties" && value && typeof value === "object") {
      // Property names are data, not keywords: convert each property's schema, keep its name.
      out.properties = Object.fromEntries(Object.entries(value as Schema).map(([property, sub]) => [property, convertNode(sub)]));
      continue;
    }
    out[key] = convertNode(value);
  }
  if (out.properties && !("additionalProperties" in out) && out["x-kubernetes-preserve-unknown-fields"] !== true) out.additionalProperties = false;
  return out;
}

function reachableDefinitions(root: Schema, converted: Map<string, Schema>): Map<string, Schema> {
  const reached = new Map<string, Schema>();
  const visit = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (node === null || typeof node !== "object") return;
    for (const [key, value] of Object.entries(node as Schema)) {
      if (key === "$ref" && typeof value === "string" && value.startsWith(REF_PREFIX)) {
        const name = value.slice(REF_PREFIX.length);
        if (reached.has(name)) continue;
        const target = converted.get(name);
        if (!target) throw new Error(`unresolved reference ${value}`);
        reached.set(name, target);
        visit(target);
      } else visit(value);
    }
  };
  visit(root);
  return reached;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [swagger, out, version, ...crds] = process.argv.slice(2);
  if (!swagger || !out || !version) {
    process.stderr.write("usage: kubeconform-schemas.ts <swagger.json> <out-dir> <kubernetes-version> [crd.yaml...]\n");
    process.exit(2);
  }
  let count = writeKubeconformSchemas(swagger, out, version);
  for (const crd of crds) count += writeCustomResourceSchemas(crd, out, version);
  process.stdout.write(`${count} schemas in ${join(out, strictSchemaFolder(version))}\n`);
}
