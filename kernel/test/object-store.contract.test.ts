import { createServer } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EmbeddedObjectStore, createSignedUploadRoute, listen, closeServer } from "#kernel";
import { S3ObjectStore } from "#kernel/adapters.ts";
import { defineObjectStoreContract } from "#kernel/contracts/object-store.contract.ts";
import { describeWithRealEngine, realEngineUrl } from "#kernel/testing";

defineObjectStoreContract("embedded", async () => {
  const dir = await mkdtemp(join(tmpdir(), "objects-"));
  let base = "";
  const store = new EmbeddedObjectStore({ dir, secret: "contract-secret", uploadBaseUrl: () => `${base}/uploads` });
  const route = createSignedUploadRoute(store);
  const server = createServer((req, res) => {
    route(req, res).then((handled) => handled || res.writeHead(404).end(), () => res.writeHead(500).end());
  });
  base = `http://127.0.0.1:${await listen(server, 0, "127.0.0.1")}`;
  return {
    store,
    close: async () => {
      await closeServer(server);
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describeWithRealEngine({ suite: "ObjectStore contract", engine: "s3", variable: "S3_URL" }, (url) => {
  defineObjectStoreContract("s3", async () => {
    const store = new S3ObjectStore({
      url,
      accessKeyId: realEngineUrl("S3_ACCESS_KEY_ID") ?? "",
      secretAccessKey: realEngineUrl("S3_SECRET_ACCESS_KEY") ?? "",
      bucket: `contract-${Date.now().toString(36)}`,
      region: realEngineUrl("S3_REGION") ?? "us-east-1",
    });
    await store.connect();
    return { store };
  });
});
