/**
 * Product images end to end through the gateway: a product page in headless Chromium shows its
 * picture loaded from this supergraph's own /images origin (200, an image type), and an image
 * an admin uploads through a presigned URL gets its renditions, served with immutable caching
 * and ETags. On the embedded engines and on real PostgreSQL, Redis, Kafka and S3 (versitygw).
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, it } from "node:test";
import sharp from "sharp";
import { chromium, type Browser } from "playwright-core";
import { realEngineUrl, waitFor } from "#kernel/testing";
import { describeOnEngines, startCheckoutSupergraph, type CheckoutSupergraph } from "../../subgraphs/orders/test/support/start-checkout-supergraph.js";
import { browserSkipReason, CHROMIUM_ARGS, CHROMIUM_PATH } from "../support/headless-chromium.js";

const PRODUCT = `query($id: ID!) { product(id: $id) { id name images { url alt width height webp: url(width: 600, format: WEBP) srcset(format: AVIF) } } }`;

interface ImageView {
  url: string;
  alt: string;
  width: number | null;
  height: number | null;
  webp: string;
  srcset: string;
}

describeOnEngines("Product images through the gateway and the storefront", (engines) => {
  const real = engines.name !== "embedded";
  const s3Url = realEngineUrl("S3_URL");
  let sg: CheckoutSupergraph;
  let browser: Browser | undefined;
  let origin: string;
  let adminToken: string;

  before(async () => {
    if (real && !s3Url) throw new Error("S3_URL is not set: the real-engine run of the image flow needs an S3 server (scripts/services.sh up s3)");
    const s3: Record<string, string> = real
      ? {
          S3_URL: s3Url!,
          S3_ACCESS_KEY_ID: realEngineUrl("S3_ACCESS_KEY_ID") ?? "",
          S3_SECRET_ACCESS_KEY: realEngineUrl("S3_SECRET_ACCESS_KEY") ?? "",
          S3_BUCKET: `e2e-images-${randomUUID().slice(0, 8)}`,
        }
      : {};
    sg = await startCheckoutSupergraph({ engines, env: { PRODUCT_CACHE_TTL_MS: "0", ...s3 } });
    origin = sg.gatewayUrl.replace(/\/graphql$/, "");
    adminToken = await sg.token("usr_images_admin", ["customer", "admin"]);
    if (!browserSkipReason("product image browser test")) {
      browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
    }
  });
  after(async () => {
    await browser?.close();
    await sg?.close();
  });

  const productImages = async (id: string) => {
    const result = await sg.query<{ product: { name: string; images: ImageView[] } }>(PRODUCT, { id });
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    return result.data!.product;
  };

  /** Opens the product page and returns the answer to its main picture's request. */
  async function openProductPage(productId: string, imageUrl: string) {
    const page = await browser!.newPage({ viewport: { width: 390, height: 844 } });
    const foreign: string[] = [];
    page.on("request", (request) => {
      if (new URL(request.url()).host !== new URL(origin).host) foreign.push(request.url());
    });
    try {
      const answer = page.waitForResponse((response) => response.url() === imageUrl, { timeout: 20_000 });
      await page.goto(`${origin}/shop#/product/${productId}`);
      const response = await answer;
      const image = page.locator("img.product-image").first();
      await image.waitFor({ timeout: 20_000 });
      await waitFor("the picture is decoded", () => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), { timeoutMs: 10_000 });
      assert.deepEqual(foreign, [], "every request goes to this supergraph's origin");
      return { status: response.status(), type: response.headers()["content-type"], src: await image.getAttribute("src") };
    } finally {
      await page.close();
    }
  }

  it("a demo product page shows its placeholder picture from the local origin", { skip: browserSkipReason("product image browser test") }, async () => {
    const product = await productImages("prod_0000001");
    const imageUrl = product.images[0]!.url;
    assert.ok(imageUrl.startsWith(`${origin}/images/products/`), imageUrl);
    const shown = await openProductPage("prod_0000001", imageUrl);
    assert.equal(shown.status, 200);
    assert.equal(shown.type, "image/jpeg");
    assert.equal(shown.src, imageUrl);
  });

  it("an uploaded image gets its renditions, served immutable with ETags, and shows on the product page", async () => {
    const created = await sg.query<{ createProduct: { id: string } }>(
      `mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }`,
      { input: { sku: `PIC-${randomUUID().slice(0, 8).toUpperCase()}`, name: "Ceramic Pour-Over Set", description: "Coffee, slowly.", priceAmount: 3900, category: "home", brand: "Kiln" } },
      adminToken,
    );
    assert.equal(created.errors, undefined, JSON.stringify(created.errors));
    const productId = created.data!.createProduct.id;
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1500" height="1000"><rect width="100%" height="100%" fill="#8a5a44"/><circle cx="750" cy="500" r="300" fill="#f2e6d8"/></svg>`;
    const jpeg = await sharp(Buffer.from(svg)).jpeg().toBuffer();

    const upload = await sg.query<{ createImageUpload: { uploadId: string; url: string; method: string; headers: { name: string; value: string }[] } }>(
      `mutation($productId: ID!, $bytes: Int!) { createImageUpload(productId: $productId, contentType: "image/jpeg", bytes: $bytes) { uploadId url method headers { name value } } }`,
      { productId, bytes: jpeg.length },
      adminToken,
    );
    assert.equal(upload.errors, undefined, JSON.stringify(upload.errors));
    const ticket = upload.data!.createImageUpload;
    const sent = await fetch(ticket.url, { method: ticket.method, body: new Uint8Array(jpeg), headers: Object.fromEntries(ticket.headers.map((h) => [h.name, h.value])) });
    await sent.arrayBuffer();
    assert.equal(sent.status, 200);
    const attached = await sg.query(`mutation($productId: ID!, $uploadId: ID!) { attachProductImage(productId: $productId, uploadId: $uploadId, alt: "The set on a table") { id } }`, { productId, uploadId: ticket.uploadId }, adminToken);
    assert.equal(attached.errors, undefined, JSON.stringify(attached.errors));

    await waitFor("the renditions are recorded", async () => /\/renditions\/[0-9a-f]{64}-w640\.webp$/.test((await productImages(productId)).images[0]?.webp ?? ""), { timeoutMs: 60_000 });
    const [image] = (await productImages(productId)).images;
    assert.equal(image!.width, 1500);
    assert.equal(image!.height, 1000);
    assert.ok(image!.webp.startsWith(`${origin}/images/`), image!.webp);
    assert.equal(image!.srcset.split(", ").length, 3);

    const rendition = await fetch(image!.webp);
    const bytes = Buffer.from(await rendition.arrayBuffer());
    assert.equal(rendition.status, 200);
    assert.equal(rendition.headers.get("content-type"), "image/webp");
    assert.equal(rendition.headers.get("cache-control"), "public, max-age=31536000, immutable");
    assert.equal((await sharp(bytes).metadata()).width, 640);
    const etag = rendition.headers.get("etag")!;
    assert.match(etag, /^"[^"]+"$/, "a strong ETag");
    const again = await fetch(image!.webp, { headers: { "if-none-match": etag } });
    assert.equal(again.status, 304);
    assert.equal(again.headers.get("etag"), etag);
    await again.arrayBuffer();

    if (browser) {
      const shown = await openProductPage(productId, image!.url);
      assert.equal(shown.status, 200);
      assert.equal(shown.type, "image/jpeg");
    }
  });

  it("the gateway's /images refuses traversal and never serves raw uploads", async () => {
    for (const [path, status] of [
      ["/images/..%2f..%2fetc%2fpasswd", 400],
      ["/images/products/../../package.json", 404],
      ["/images/%2e%2e/package.json", 404], // fetch resolves %2e%2e like .., leaving /package.json
      ["/images/uploads/0123456789abcdef0123456789abcdef", 404],
      ["/images/originals/missing.jpg", 404],
      ["/images/products/ele-9999999/1.jpg", 404],
    ] as const) {
      const response = await fetch(`${origin}${path}`);
      await response.arrayBuffer();
      assert.equal(response.status, status, path);
    }
    const post = await fetch(`${origin}/images/products/x.jpg`, { method: "POST", body: "x" });
    await post.arrayBuffer();
    assert.equal(post.status, 405);
  });
});
