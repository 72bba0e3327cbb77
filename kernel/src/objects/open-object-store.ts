import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Config } from "../config/config.js";
import type { ObjectStore } from "./object-store.js";
import { EmbeddedObjectStore } from "./embedded-object-store.js";

/**
 * The configured object store: S3 when `S3_URL` is set (its bucket created on first use),
 * otherwise a folder. `uploadBaseUrl` is where the folder's signed uploads are received (the
 * products subgraph's `/uploads` route); S3 receives its own.
 */
export async function openObjectStore(config: Config, options: { uploadBaseUrl: () => string }): Promise<ObjectStore> {
  const { s3, embeddedDir } = config.objects;
  if (s3) {
    // Loaded only here, so a process on the embedded adapters never loads the AWS SDK.
    const { S3ObjectStore } = await import("./s3-object-store.js");
    const store = new S3ObjectStore(s3);
    await store.connect();
    return store;
  }
  const dir = embeddedDir ?? (await mkdtemp(join(tmpdir(), "storefront-objects-")));
  return new EmbeddedObjectStore({ dir, secret: `${config.auth.internalSecret}:uploads`, uploadBaseUrl: options.uploadBaseUrl });
}
