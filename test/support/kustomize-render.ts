import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";

/** A Kubernetes object as the manifests write it. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: any;
}

interface Kustomization {
  resources?: string[];
  namespace?: string;
  labels?: { pairs: Record<string, string> }[];
  images?: { name: string; newName?: string; newTag?: string }[];
  replicas?: { name: string; count: number }[];
  patches?: { path: string }[];
}

/** Namespaced objects this deployment uses (everything here but cluster-wide kinds). */
const CLUSTER_SCOPED = new Set(["Namespace", "ClusterRole", "ClusterRoleBinding"]);

/**
 * Renders a kustomization the way `kubectl kustomize` does, for the features these manifests
 * use: resources (files and directories), namespace, labels (metadata only), images,
 * replicas, and strategic-merge patches (maps merge; lists of named items merge by name;
 * other lists replace). Small on purpose: a test on machines without kubectl still proves
 * the overlays, and where kubectl exists the test compares the two renderings.
 */
export function renderKustomization(dir: string): Manifest[] {
  const kustomization = readYaml(join(dir, "kustomization.yaml"))[0] as Kustomization;
  let manifests: Manifest[] = [];
  for (const resource of kustomization.resources ?? []) {
    const path = join(dir, resource);
    manifests.push(...(resource.endsWith(".yaml") ? (readYaml(path) as Manifest[]) : renderKustomization(path)));
  }
  for (const { path } of kustomization.patches ?? []) {
    for (const patch of readYaml(join(dir, path)) as Manifest[]) {
      const target = manifests.find((m) => m.kind === patch.kind && m.metadata.name === patch.metadata.name);
      if (!target) throw new Error(`${dir}/${path}: patch for missing ${patch.kind}/${patch.metadata.name}`);
      manifests = manifests.map((m) => (m === target ? (strategicMerge(m, patch) as Manifest) : m));
    }
  }
  for (const { name, count } of kustomization.replicas ?? []) {
    const target = manifests.find((m) => m.kind === "Deployment" && m.metadata.name === name);
    if (!target) throw new Error(`${dir}: replicas for missing Deployment ${name}`);
    target.spec.replicas = count;
  }
  for (const image of kustomization.images ?? []) {
    for (const m of manifests) {
      for (const container of m.spec?.template?.spec?.containers ?? []) {
        const [name, tag] = splitImage(container.image);
        if (name !== image.name) continue;
        container.image = `${image.newName ?? name}${image.newTag ?? tag ? `:${image.newTag ?? tag}` : ""}`;
      }
    }
  }
  for (const { pairs } of kustomization.labels ?? []) for (const m of manifests) m.metadata.labels = { ...m.metadata.labels, ...pairs };
  if (kustomization.namespace) for (const m of manifests) if (!CLUSTER_SCOPED.has(m.kind)) m.metadata.namespace = kustomization.namespace;
  return manifests;
}

function readYaml(path: string): unknown[] {
  return parseAllDocuments(readFileSync(path, "utf8"))
    .map((document) => document.toJS())
    .filter((value) => value !== null && value !== undefined);
}

function splitImage(image: string): [string, string | undefined] {
  const at = image.lastIndexOf(":");
  return at > image.lastIndexOf("/") ? [image.slice(0, at), image.slice(at + 1)] : [image, undefined];
}

function strategicMerge(base: unknown, patch: unknown): unknown {
  if (Array.isArray(base) && Array.isArray(patch)) {
    const named = (list: unknown[]) => list.every((item) => typeof item === "object" && item !== null && typeof (item as { name?: unknown }).name === "string");
    if (!named(base) || !named(patch)) return patch;
    const merged = [...base];
    for (const item of patch as { name: string }[]) {
      const at = merged.findIndex((existing) => (existing as { name: string }).name === item.name);
      if (at >= 0) merged[at] = strategicMerge(merged[at], item);
      else merged.push(item);
    }
    return merged;
  }
  if (isMap(base) && isMap(patch)) {
    const merged: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(patch)) merged[key] = key in base ? strategicMerge(base[key], value) : value;
    return merged;
  }
  return patch;
}

const isMap = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
