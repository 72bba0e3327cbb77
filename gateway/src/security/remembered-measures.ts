import type { DocumentNode, OperationDefinitionNode } from "graphql";
import type { ListSizes } from "./list-sizes.js";
import { measureOperation, type OperationMeasure } from "./measure-operation.js";

/**
 * Distinct page sizes remembered per operation: a storefront operation is sent with a handful
 * (a listing's 20 and 40); one sent with every size from 1 to 1,000 keeps only its latest.
 */
const MEASURES_PER_OPERATION = 8;

/** How a variable's value reads as a page size: a number as itself, absent (its default applies), or anything else (none). */
type PageSizeValue = number | undefined | "not a number";
const pageSizeValue = (value: unknown): PageSizeValue => (typeof value === "number" || value === undefined ? value : "not a number");

interface Remembered {
  /** The variables the measure read, with the page size each gave. */
  read: ReadonlyArray<readonly [string, PageSizeValue]>;
  measure: OperationMeasure;
}

/**
 * `measureOperation` once per operation and page sizes, instead of once per request: a
 * measure depends only on the document, the schema's list sizes and the variables it reads
 * as page sizes (`first: $n`), and a kept text's document is one object from request to
 * request. Every other request of a text finds its measure by those variables' values.
 * Remembered by the operation's node, so what is remembered goes with the parsed document
 * (kept for admitted texts only, bounded in request-policy.ts). A measure is shared by every
 * request it is found for: nobody changes one.
 */
export function createRememberedMeasures(sizes: ListSizes | undefined) {
  const remembered = new WeakMap<OperationDefinitionNode, Remembered[]>();
  return (document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>): OperationMeasure => {
    const known = remembered.get(operation);
    if (known) {
      for (const entry of known) if (entry.read.every(([name, value]) => pageSizeValue(variables[name]) === value)) return entry.measure;
    }
    const read = new Set<string>();
    const watched = new Proxy(variables, {
      get(target, name) {
        if (typeof name === "string") read.add(name);
        return Reflect.get(target, name);
      },
    });
    const measure = measureOperation(document, operation, watched, sizes);
    const entries = known ?? [];
    if (entries.length >= MEASURES_PER_OPERATION) entries.shift();
    entries.push({ read: [...read].map((name) => [name, pageSizeValue(variables[name])] as const), measure });
    if (!known) remembered.set(operation, entries);
    return measure;
  };
}
