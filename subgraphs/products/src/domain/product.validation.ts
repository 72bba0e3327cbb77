import { badInput, multiLineText, singleLineText, unitPrice } from "#kernel";
import type { ProductChanges, ProductImage } from "./product.js";

const SKU = /^[A-Z0-9][A-Z0-9-]{2,39}$/;
const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
/** A blob store path: segments of letters, digits, dots, dashes and underscores. */
const BLOB_PATH = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(?:\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/;

export function validSku(sku: string): string {
  const value = sku.trim().toUpperCase();
  if (!SKU.test(value)) throw badInput("A SKU has 3-40 letters, digits or dashes", { field: "sku" });
  return value;
}

const text = (field: string, value: string, max: number): string => singleLineText(field, value, { max });

/** Alt text may be empty (a decorative picture); otherwise one line of visible text. */
export const validAlt = (alt: string): string => (alt.trim() === "" ? "" : singleLineText("alt", alt, { max: 200 }));

/** Checks and normalises pictures: blob paths or absolute http(s) URLs, at most 20. */
export function validImages(list: ProductImage[]): ProductImage[] {
  if (list.length > 20) throw badInput("A product has at most 20 images", { field: "images" });
  return list.map((image) => {
    const alt = validAlt(image.alt);
    // A blob path is stored as is and served through the image CDN, so moving the CDN is a
    // configuration change rather than a data migration.
    if (BLOB_PATH.test(image.url) && image.url.length <= 300 && !image.url.split("/").includes("..")) return { url: image.url, alt };
    let url: URL;
    try {
      url = new URL(image.url);
    } catch {
      throw badInput("An image is a blob path (products/x/1.jpg) or an absolute http(s) URL", { field: "images", url: image.url });
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      throw badInput("An image URL must be an absolute http(s) URL", { field: "images", url: image.url });
    }
    return { url: url.toString(), alt };
  });
}

/** Characters an attribute's value holds at most (the gateway's cost measure weighs it by them). */
export const MAX_ATTRIBUTE_VALUE_LENGTH = 500;

function attributes(list: { name: string; value: string }[]): Record<string, string> {
  if (list.length > 50) throw badInput("A product has at most 50 attributes", { field: "attributes" });
  const result: Record<string, string> = {};
  for (const { name, value } of list) {
    const key = text("attribute name", name, 60);
    if (key.startsWith("$") || key.includes(".")) throw badInput("Attribute names cannot start with $ or contain dots", { field: "attributes", name });
    result[key] = text("attribute value", value, MAX_ATTRIBUTE_VALUE_LENGTH);
  }
  return result;
}

export interface ProductChangesInput {
  name?: string | null;
  description?: string | null;
  priceAmount?: number | null;
  currency?: string | null;
  category?: string | null;
  brand?: string | null;
  images?: ProductImage[] | null;
  attributes?: { name: string; value: string }[] | null;
}

/** Characters a product's description holds at most (the gateway's cost measure weighs it by them). */
export const MAX_DESCRIPTION_LENGTH = 5_000;

/** Checks and normalises admin input; every problem is a coded BAD_USER_INPUT error. */
export function validChanges(input: ProductChangesInput, currentCurrency: string): ProductChanges {
  const changes: ProductChanges = {};
  if (input.name != null) changes.name = text("name", input.name, 200);
  if (input.description != null) changes.description = multiLineText("description", input.description, { max: MAX_DESCRIPTION_LENGTH });
  if (input.priceAmount != null) changes.price = unitPrice(input.priceAmount, input.currency ?? currentCurrency);
  if (input.category != null) {
    const category = input.category.trim().toLowerCase();
    if (!SLUG.test(category)) throw badInput("A category is a lowercase slug like home-kitchen", { field: "category" });
    changes.category = category;
  }
  if (input.brand != null) changes.brand = text("brand", input.brand, 100);
  if (input.images != null) changes.images = validImages(input.images);
  if (input.attributes != null) changes.attributes = attributes(input.attributes);
  return changes;
}
