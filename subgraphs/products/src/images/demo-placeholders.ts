import { createHash } from "node:crypto";
import sharp from "sharp";
import type { ObjectStore } from "#kernel";
import type { Product, ProductImage } from "../domain/product.js";

/** The demo catalog's blob paths: `products/<sku>/<n or colour>.jpg`, SKU `ELE-0000001` of product `prod_0000001`. */
const DEMO_PATH = /^products\/([a-z]{3})-(\d{7})\/([a-z0-9-]+)\.jpg$/;

const COLOURS: Record<string, string> = {
  black: "#222222", white: "#e8e8e8", red: "#c0392b", blue: "#2e6cc7", green: "#2e8b57", grey: "#7f8c8d", gray: "#7f8c8d",
  navy: "#1f2f5c", beige: "#d8c3a5", brown: "#7b4b2a", pink: "#e38fb0", yellow: "#e5c02e", orange: "#e67e22", purple: "#7d3c98",
  silver: "#b8bcc2", gold: "#c9a33b",
};

const escapeXml = (text: string) => text.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]!);

function hueOf(text: string): string {
  const hue = createHash("sha256").update(text).digest()[0]! * (360 / 256);
  return `hsl(${Math.round(hue)}, 45%, 45%)`;
}

/** Up to three lines of at most ~22 characters, breaking between words. */
function lines(text: string): string[] {
  const out: string[] = [];
  for (const word of text.split(/\s+/)) {
    const last = out.at(-1);
    if (last !== undefined && (last + " " + word).length <= 22) out[out.length - 1] = `${last} ${word}`;
    else out.push(word);
  }
  return out.slice(0, 3);
}

/** A picture drawn from an SVG: the colour the image shows (or one of the product's own) and its name. */
export function drawPlaceholder(name: string, caption: string, colour: string | undefined): Promise<Buffer> {
  const fill = (colour && COLOURS[colour.split("-")[0]!]) ?? hueOf(name);
  const text = lines(name)
    .map((line, i) => `<text x="400" y="${350 + i * 64}" font-size="52" text-anchor="middle" fill="#ffffff" font-family="sans-serif" font-weight="bold">${escapeXml(line)}</text>`)
    .join("");
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="800" height="800"><rect width="800" height="800" fill="${fill}"/><rect x="40" y="40" width="720" height="720" fill="none" stroke="#ffffff" stroke-opacity="0.5" stroke-width="4"/>${text}<text x="400" y="700" font-size="30" text-anchor="middle" fill="#ffffff" fill-opacity="0.85" font-family="sans-serif">${escapeXml(caption.slice(0, 40))}</text></svg>`;
  // Plain libjpeg, not mozjpeg: a third of the time for a flat picture a few KB larger.
  return sharp(Buffer.from(svg)).jpeg({ quality: 80 }).toBuffer();
}

/**
 * Placeholder pictures for the demo catalog, made on the first request of each and kept in
 * the object store (no download from anywhere; ~30 ms each on a busy 2-core machine, so
 * seeding 600 products costs nothing at start). Only a path a live product actually shows is
 * drawn, so requests for made-up paths cannot fill the store.
 */
export function createDemoPlaceholders(deps: { objects: ObjectStore; findByIds: (ids: readonly string[]) => Promise<Map<string, Product>> }) {
  const inFlight = new Map<string, Promise<boolean>>();
  async function make(key: string): Promise<boolean> {
    const match = DEMO_PATH.exec(key);
    if (!match) return false;
    const product = (await deps.findByIds([`prod_${match[2]}`])).get(`prod_${match[2]}`);
    if (!product || product.sku.toLowerCase() !== `${match[1]}-${match[2]}`) return false;
    const shown: ProductImage | undefined = [...product.images, ...product.variants.flatMap((variant) => variant.images)].find((image) => image.url === key);
    if (!shown) return false;
    const colour = /^\d+$/.test(match[3]!) ? undefined : match[3];
    await deps.objects.put(key, await drawPlaceholder(product.name, colour ? colour.replace(/-/g, " ") : `view ${match[3]}`, colour), { contentType: "image/jpeg" });
    return true;
  }
  return (key: string): Promise<boolean> => {
    let pending = inFlight.get(key);
    if (!pending) {
      pending = make(key).finally(() => inFlight.delete(key));
      inFlight.set(key, pending);
    }
    return pending;
  };
}
