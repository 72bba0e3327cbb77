import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import sharp from "sharp";
import { createLockService, EmbeddedKeyValueStore, Topics, type ObjectStore } from "#kernel";
import { S3ObjectStore } from "#kernel/adapters.ts";
import { describeWithRealEngine, engineSuiteTitle, realEngineUrl, waitFor } from "#kernel/testing";
import { rejectsWith, shopper, startProductsApi, type ProductsApiRig } from "./products-api-rig.js";
import type { ImageAttachedPayload } from "../../src/images/image-events.js";
import type { ImageUploadTicket } from "../../src/images/image-upload.service.js";
import { MongoProductStore } from "../../src/adapters/mongo-product-store.js";
import type { ProductStore } from "../../src/ports/product-store.js";

const IMAGE = "url alt width height webp: url(width: 500, format: WEBP) srcset(format: AVIF)";
const CREATE_UPLOAD = `mutation($productId: ID!, $contentType: String!, $bytes: Int!) {
  createImageUpload(productId: $productId, contentType: $contentType, bytes: $bytes) { uploadId url method headers { name value } expiresAt maxBytes }
}`;
const ATTACH = `mutation($productId: ID!, $uploadId: ID!, $alt: String!) { attachProductImage(productId: $productId, uploadId: $uploadId, alt: $alt) { id images { ${IMAGE} } } }`;
const PRODUCT = `query($id: ID!) { product(id: $id) { id images { ${IMAGE} } } }`;
const CREATE_PRODUCT = `mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }`;

interface ImageView {
  url: string;
  alt: string;
  width: number | null;
  height: number | null;
  webp: string;
  srcset: string;
}
type Ticket = ImageUploadTicket;

const MAX_BYTES = 200_000;

/** A real picture: a gradient, so encoders have something to do. */
async function picture(width: number, height: number, format: "png" | "jpeg" | "webp" | "gif" | "avif" = "png"): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><defs><linearGradient id="g"><stop offset="0" stop-color="#c33"/><stop offset="1" stop-color="#33c"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/></svg>`;
  return sharp(Buffer.from(svg))[format]().toBuffer();
}

/**
 * The upload and renditions guarantees against one object store and product store (the rig's
 * products subgraph in-process): a double attach keeping one image rests on the product
 * store's atomic edit, so the real run uses the real catalog store too.
 */
function defineImageSuite(engine: string, objectStore: () => Promise<ObjectStore | undefined>, productStore: () => Promise<{ store?: ProductStore; dispose?: () => Promise<void> }> = async () => ({})) {
  describe(engineSuiteTitle("Product images through the API", engine), { timeout: 120_000 }, () => {
    let rig: ProductsApiRig;
    let objects: ObjectStore | undefined;
    let dispose: (() => Promise<void>) | undefined;
    const handled: ImageAttachedPayload[] = [];
    let sku = 0;

    before(async () => {
      objects = await objectStore();
      const catalog = await productStore();
      dispose = catalog.dispose;
      rig = await startProductsApi({ store: catalog.store, env: { IMAGE_MAX_UPLOAD_BYTES: String(MAX_BYTES) }, images: { objects, onRenditions: (payload) => handled.push(payload) } });
    });
    after(async () => {
      await rig?.close();
      await objects?.close();
      await dispose?.();
    });

    const origin = () => rig.products.url.replace(/\/graphql$/, "");
    const newProduct = async () =>
      (
        await rig.asAdmin<{ createProduct: { id: string } }>(CREATE_PRODUCT, {
          input: { sku: `IMG-${process.pid}-${++sku}-${engine.replace(/[^a-z0-9]/g, "").toUpperCase()}`, name: "Walnut Desk Lamp", description: "A lamp.", priceAmount: 4900, category: "home", brand: "Lumen" },
        })
      ).createProduct.id;
    const createUpload = (productId: string, contentType: string, bytes: number) =>
      rig.asAdmin<{ createImageUpload: Ticket }>(CREATE_UPLOAD, { productId, contentType, bytes }).then((r) => r.createImageUpload);
    const put = async (ticket: Ticket, body: Buffer, contentType = ticket.headers.find((h) => h.name === "content-type")!.value) => {
      const response = await fetch(ticket.url, { method: ticket.method, body: new Uint8Array(body), headers: { "content-type": contentType } });
      await response.arrayBuffer();
      return response.status;
    };
    const attach = (productId: string, uploadId: string, alt = "The lamp, lit") =>
      rig.asAdmin<{ attachProductImage: { id: string; images: ImageView[] } }>(ATTACH, { productId, uploadId, alt }).then((r) => r.attachProductImage);
    const imagesOf = async (id: string) => (await rig.asAdmin<{ product: { images: ImageView[] } }>(PRODUCT, { id })).product.images;
    const fetchImage = async (url: string) => {
      const response = await fetch(url);
      return { status: response.status, type: response.headers.get("content-type"), bytes: Buffer.from(await response.arrayBuffer()) };
    };

    it("uploads a PNG, attaches it with its size, serves the original until renditions exist, then the nearest wider rendition", async () => {
      const productId = await newProduct();
      const png = await picture(1600, 1000);
      const ticket = await createUpload(productId, "image/png", png.length);
      assert.equal(ticket.method, "PUT");
      assert.equal(ticket.maxBytes, MAX_BYTES);
      assert.equal(await put(ticket, png), 200);
      const attached = await attach(productId, ticket.uploadId);
      const [image] = attached.images;
      assert.ok(image);
      assert.equal(image.width, 1600);
      assert.equal(image.height, 1000);
      assert.equal(image.alt, "The lamp, lit");
      assert.match(image.url, /\/images\/originals\/[0-9a-f]{64}\.png$/);
      assert.ok(image.url.startsWith(`${origin()}/images/`), "served from this subgraph's origin by default");
      const original = await fetchImage(image.url);
      assert.equal(original.status, 200);
      assert.equal(original.type, "image/png");
      assert.deepEqual(original.bytes, png);

      await waitFor("the renditions are recorded", async () => (await imagesOf(productId))[0]!.webp !== image.url, { timeoutMs: 60_000 });
      const [ready] = await imagesOf(productId);
      assert.match(ready!.webp, /\/images\/renditions\/[0-9a-f]{64}-w640\.webp$/, "500 px wide asks for the 640 rendition");
      const rendition = await fetchImage(ready!.webp);
      assert.equal(rendition.status, 200);
      assert.equal(rendition.type, "image/webp");
      const metadata = await sharp(rendition.bytes).metadata();
      assert.equal(metadata.format, "webp");
      assert.equal(metadata.width, 640);
      assert.equal(metadata.height, 400);
      const entries = ready!.srcset.split(", ");
      assert.deepEqual(entries.map((entry) => entry.split(" ")[1]), ["320w", "640w", "1280w"]);
      for (const entry of entries) {
        const avif = await fetchImage(entry.split(" ")[0]!);
        assert.equal(avif.status, 200);
        assert.equal(avif.type, "image/avif");
      }

      // Giving the image list anew (by blob path) keeps the size and renditions the catalog knows.
      const blobPath = ready!.url.slice(ready!.url.indexOf("/images/") + "/images/".length);
      await rig.asAdmin(`mutation($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { id } }`, { id: productId, input: { images: [{ url: blobPath, alt: "Lit, on a desk" }] } });
      const [kept] = await imagesOf(productId);
      assert.equal(kept!.alt, "Lit, on a desk");
      assert.equal(kept!.width, 1600);
      assert.equal(kept!.webp, ready!.webp);
    });

    it("makes renditions no wider than a small original", async () => {
      const productId = await newProduct();
      const jpeg = await picture(200, 150, "jpeg");
      const ticket = await createUpload(productId, "image/jpeg", jpeg.length);
      assert.equal(await put(ticket, jpeg), 200);
      await attach(productId, ticket.uploadId);
      await waitFor("the renditions are recorded", async () => /-w200\.jpg 200w$/.test((await rig.asAdmin<{ product: { images: { srcset: string }[] } }>(`query($id: ID!) { product(id: $id) { images { srcset } } }`, { id: productId })).product.images[0]!.srcset), { timeoutMs: 60_000 });
    });

    it("serves no EXIF, XMP or GPS position of an uploaded photo, turned upright, in each format", async () => {
      const productId = await newProduct();
      const exif = { IFD0: { Make: "PhoneMaker", Model: "Phone 12" }, IFD3: { GPSLatitudeRef: "N", GPSLatitude: "51/1 30/1 26/1", GPSLongitudeRef: "W", GPSLongitude: "0/1 7/1 39/1" } };
      const xmp = '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="51,30.43N"/></rdf:RDF></x:xmpmeta>';
      for (const format of ["jpeg", "png", "webp", "avif"] as const) {
        // Stored 240 wide and 160 high, shown turned a quarter (EXIF orientation 6): 160 by 240.
        const photo = await sharp(await picture(240, 160, format)).withExif(exif).withXmp(xmp).withMetadata({ orientation: 6 })[format]().toBuffer();
        const sent = await sharp(photo).metadata();
        // AVIF writes the orientation as a transform of its own, which decoders apply.
        assert.ok(sent.exif && sent.xmp && (sent.orientation === 6 || format === "avif"), `the ${format} sent carries EXIF, XMP and an orientation`);
        const ticket = await createUpload(productId, `image/${format}`, photo.length);
        assert.equal(await put(ticket, photo), 200);
        const image = (await attach(productId, ticket.uploadId)).images.at(-1)!;
        assert.deepEqual([image.width, image.height], [160, 240], format);
        const served = await fetchImage(image.url);
        assert.equal(served.status, 200);
        assert.equal(served.type, `image/${format}`);
        const metadata = await sharp(served.bytes).metadata();
        assert.equal(metadata.format, format === "avif" ? "heif" : format);
        assert.equal(metadata.exif, undefined, `${format}: no EXIF served`);
        assert.equal(metadata.xmp, undefined, `${format}: no XMP served`);
        assert.ok(!served.bytes.includes("GPSLatitude") && !served.bytes.includes("PhoneMaker"), `${format}: neither the position nor the device in the bytes`);
        assert.equal(metadata.orientation ?? 1, 1, `${format}: turned upright, as its size says`);
        assert.deepEqual([metadata.width, metadata.height], [160, 240], format);
      }
    });

    it("keeps one image when the same upload is attached twice at once and once more later", async () => {
      const productId = await newProduct();
      const png = await picture(400, 300);
      const ticket = await createUpload(productId, "image/png", png.length);
      assert.equal(await put(ticket, png), 200);
      const both = await Promise.all([attach(productId, ticket.uploadId), attach(productId, ticket.uploadId)]);
      for (const product of both) assert.equal(product.images.length, 1);
      const again = await attach(productId, ticket.uploadId, "Renamed");
      assert.equal(again.images.length, 1);
      assert.equal(again.images[0]!.alt, "Renamed");
    });

    it("keeps one image when the same picture is uploaded twice (it is named by its content)", async () => {
      const productId = await newProduct();
      const png = await picture(300, 300);
      for (let i = 0; i < 2; i++) {
        const ticket = await createUpload(productId, "image/png", png.length);
        assert.equal(await put(ticket, png), 200);
        await attach(productId, ticket.uploadId);
      }
      assert.equal((await imagesOf(productId)).length, 1);
    });

    describe("refusals", () => {
      let productId: string;
      before(async () => {
        productId = await newProduct();
      });
      const uploadRaw = async (contentType: string, body: Buffer) => {
        const ticket = await createUpload(productId, contentType, body.length);
        assert.equal(await put(ticket, body), 200, "storage takes the bytes; attaching judges them");
        return ticket;
      };
      const refusedWith = async (ticket: Ticket, reason: string) => {
        await assert.rejects(attach(productId, ticket.uploadId), (error: { extensions?: { code?: string; reason?: string }; message: string }) => {
          assert.equal(error.extensions?.code, "BAD_USER_INPUT", error.message);
          assert.equal(error.extensions?.reason, reason, error.message);
          return true;
        });
        assert.deepEqual(await imagesOf(productId), [], "nothing attached");
      };

      it("refuses an announced size over the limit, an empty one, and types that are not raster images", async () => {
        await rejectsWith(createUpload(productId, "image/png", MAX_BYTES + 1), "BAD_USER_INPUT", /at most/);
        await rejectsWith(createUpload(productId, "image/png", 0), "BAD_USER_INPUT");
        for (const type of ["image/svg+xml", "text/html", "application/octet-stream", "image/png; charset=utf-8"]) {
          await rejectsWith(createUpload(productId, type, 100), "BAD_USER_INPUT", /Images are/);
        }
      });

      it("refuses a text file sent as a PNG", async () => {
        await refusedWith(await uploadRaw("image/png", Buffer.from("<html><script>alert(1)</script></html>".padEnd(400, " "))), "NOT_AN_IMAGE");
      });

      it("refuses a JPEG announced as a PNG (the bytes decide)", async () => {
        await refusedWith(await uploadRaw("image/png", await picture(64, 64, "jpeg")), "TYPE_MISMATCH");
      });

      it("refuses a polyglot: a PNG signature followed by something else", async () => {
        const polyglot = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from("<?php system($_GET['c']); ?>".repeat(20))]);
        await refusedWith(await uploadRaw("image/png", polyglot), "UNDECODABLE");
      });

      it("refuses a truncated image", async () => {
        const png = await picture(300, 300);
        await refusedWith(await uploadRaw("image/png", png.subarray(0, Math.floor(png.length / 2))), "UNDECODABLE");
      });

      it("refuses an upload that never arrived, and one through a tampered URL", async () => {
        const png = await picture(50, 50);
        const ticket = await createUpload(productId, "image/png", png.length);
        await rejectsWith(attach(productId, ticket.uploadId), "BAD_USER_INPUT", /Nothing was uploaded/);
        const tampered = { ...ticket, url: ticket.url.replace(/(signature|Signature)=([^&]{4})/, (_m, name: string, head: string) => `${name}=${head === "AAAA" ? "BBBB" : "AAAA"}`) };
        assert.notEqual(tampered.url, ticket.url);
        assert.ok((await put(tampered, png)) >= 400);
        await rejectsWith(attach(productId, ticket.uploadId), "BAD_USER_INPUT", /Nothing was uploaded/);
      });

      it("refuses an oversized or a shorter object that reached storage some other way", async () => {
        const ticket = await createUpload(productId, "image/png", 1_000);
        await rig.products.images.objects.put(`uploads/${ticket.uploadId}`, Buffer.alloc(MAX_BYTES + 10, 1), { contentType: "image/png" });
        await refusedWith(ticket, "TOO_LARGE");
        const short = await createUpload(productId, "image/png", 1_000);
        await rig.products.images.objects.put(`uploads/${short.uploadId}`, (await picture(20, 20)).subarray(0, 900), { contentType: "image/png" });
        await refusedWith(short, "SIZE_MISMATCH");
      });

      it("answers NOT_FOUND for an unknown, hostile or another product's upload id, and for an unknown product", async () => {
        for (const uploadId of [randomUUID().replaceAll("-", ""), "../../uploads/x", "a".repeat(5_000)]) {
          await rejectsWith(attach(productId, uploadId), "NOT_FOUND");
        }
        const other = await newProduct();
        const png = await picture(50, 50);
        const ticket = await createUpload(other, "image/png", png.length);
        assert.equal(await put(ticket, png), 200);
        await rejectsWith(attach(productId, ticket.uploadId), "NOT_FOUND");
        await rejectsWith(createUpload("prod_missing", "image/png", 10), "NOT_FOUND");
      });

      it("lets only admins upload and attach", async () => {
        const asShopper = <T>(query: string, variables: Record<string, unknown>) => rig.client.request<T>(query, variables, { identity: shopper });
        await rejectsWith(asShopper(CREATE_UPLOAD, { productId, contentType: "image/png", bytes: 10 }), "FORBIDDEN");
        const png = await picture(50, 50);
        const ticket = await createUpload(productId, "image/png", png.length);
        assert.equal(await put(ticket, png), 200);
        await rejectsWith(asShopper(ATTACH, { productId, uploadId: ticket.uploadId, alt: "x" }), "FORBIDDEN");
        assert.deepEqual(await imagesOf(productId), []);
      });
    });
  });
}

defineImageSuite("embedded", async () => undefined);

describe("Product images without a renditions worker", { timeout: 60_000 }, () => {
  it("announces an image again when its upload is attached again before it has renditions (an announcement lost)", async () => {
    const rig = await startProductsApi({ images: { makeRenditions: false } });
    try {
      const announced: string[] = [];
      const observer = await rig.bus.subscribe({ topic: Topics.imageAttached, group: "observer", start: "earliest", handle: async (event) => void announced.push(event.id) });
      const created = await rig.asAdmin<{ createProduct: { id: string } }>(CREATE_PRODUCT, {
        input: { sku: `IMG-${process.pid}-AGAIN`, name: "Linen Throw", description: "Soft.", priceAmount: 5900, category: "home", brand: "Loom" },
      });
      const productId = created.createProduct.id;
      const png = await picture(120, 80);
      const ticket = (await rig.asAdmin<{ createImageUpload: Ticket }>(CREATE_UPLOAD, { productId, contentType: "image/png", bytes: png.length })).createImageUpload;
      const sent = await fetch(ticket.url, { method: "PUT", body: new Uint8Array(png), headers: { "content-type": "image/png" } });
      await sent.arrayBuffer();
      assert.equal(sent.status, 200);
      await rig.asAdmin(ATTACH, { productId, uploadId: ticket.uploadId, alt: "Folded" });
      await rig.asAdmin(ATTACH, { productId, uploadId: ticket.uploadId, alt: "Folded" });
      await waitFor("two announcements", () => announced.length === 2);
      assert.equal((await rig.asAdmin<{ product: { images: unknown[] } }>(PRODUCT, { id: productId })).product.images.length, 1);
      await observer.stop();
    } finally {
      await rig.close();
    }
  });
});

describeWithRealEngine({ suite: "Product images through the API", engine: "s3+mongodb", variable: "S3_URL" }, (url) => {
  const mongoUrl = realEngineUrl("MONGO_URL");
  const locks = createLockService(new EmbeddedKeyValueStore());
  const catalog = async () => {
    if (!mongoUrl) return {};
    const store = await MongoProductStore.connect(mongoUrl, {
      database: "storefront_test",
      collection: `images_api_${Date.now().toString(36)}`,
      lock: (id, work) => locks.withLock(`product:${id}`, work, { ttlMs: 5_000, waitMs: 10_000 }),
    });
    // The subgraph closes the store; dropping needs a handle of its own.
    return { store, dispose: () => store.drop() };
  };
  defineImageSuite("s3+mongodb", async () => {
    const store = new S3ObjectStore({
      url,
      accessKeyId: realEngineUrl("S3_ACCESS_KEY_ID") ?? "",
      secretAccessKey: realEngineUrl("S3_SECRET_ACCESS_KEY") ?? "",
      bucket: `images-api-${Date.now().toString(36)}`,
      region: "us-east-1",
    });
    await store.connect();
    return store;
  }, catalog);
});
