import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { ObjectStore } from "../objects/object-store.js";
import { readObjectBytes } from "../objects/object-store.js";
import { engineSuiteTitle } from "../testing/index.js";

export interface ObjectStoreUnderTest {
  store: ObjectStore;
  /** Stops whatever the test started for it (the embedded store's upload route). */
  close?: () => Promise<void>;
}

/**
 * The guarantees of the `ObjectStore` port against one adapter, presigned uploads included
 * (sent with fetch, as a browser or an admin tool would). Every test works under its own prefix.
 */
export function defineObjectStoreContract(engine: string, create: () => Promise<ObjectStoreUnderTest>): void {
  describe(engineSuiteTitle("ObjectStore contract", engine), { timeout: 60_000 }, () => {
    let subject: ObjectStoreUnderTest;
    let store: ObjectStore;
    const run = `contract-${randomUUID()}`;
    const key = (name: string) => `${run}/${name}`;

    before(async () => {
      subject = await create();
      store = subject.store;
    });
    after(async () => {
      await store?.close();
      await subject?.close?.();
    });

    const read = async (k: string) => {
      const object = await store.get(k);
      return object ? readObjectBytes(object, 10_000_000) : null;
    };

    it("reads back the bytes, type, size and ETag of a put, and the same from head", async () => {
      const bytes = randomBytes(70_000);
      const put = await store.put(key("a.bin"), bytes, { contentType: "image/png" });
      assert.equal(put.size, bytes.length);
      const head = await store.head(key("a.bin"));
      assert.deepEqual(head, { key: key("a.bin"), size: bytes.length, contentType: "image/png", etag: put.etag });
      assert.match(put.etag, /^"[^"]+"$/, "a strong, quoted ETag");
      const object = await store.get(key("a.bin"));
      assert.equal(object?.etag, put.etag);
      assert.equal(object?.contentType, "image/png");
      assert.deepEqual(await readObjectBytes(object!, 1_000_000), bytes);
    });

    it("answers null for a key never put, and deleting it is no error", async () => {
      assert.equal(await store.get(key("never")), null);
      assert.equal(await store.head(key("never")), null);
      await store.delete(key("never"));
    });

    it("replaces an object whole: the ETag follows the bytes, the same bytes give the same ETag", async () => {
      const first = await store.put(key("b"), Buffer.from("first version"), { contentType: "text/plain" });
      const second = await store.put(key("b"), Buffer.from("second version, longer"), { contentType: "text/plain" });
      assert.notEqual(first.etag, second.etag);
      assert.equal((await read(key("b")))?.toString(), "second version, longer");
      const again = await store.put(key("b"), Buffer.from("second version, longer"), { contentType: "text/plain" });
      assert.equal(again.etag, second.etag);
    });

    it("deletes an object", async () => {
      await store.put(key("c"), Buffer.from("x"), { contentType: "text/plain" });
      await store.delete(key("c"));
      assert.equal(await store.head(key("c")), null);
    });

    it("lists the objects under a prefix, by key, and nothing else", async () => {
      await Promise.all(["l/2", "l/1", "l/3/x", "m/1"].map((name) => store.put(key(name), Buffer.from(name), { contentType: "text/plain" })));
      assert.deepEqual((await store.list(key("l/"))).map((info) => info.key), [key("l/1"), key("l/2"), key("l/3/x")]);
      assert.deepEqual(await store.list(key("nothing/")), []);
    });

    it("keeps one whole object when 10 puts of different bytes race on a key", async () => {
      const versions = Array.from({ length: 10 }, (_, i) => Buffer.alloc(50_000 + i, i));
      await Promise.all(versions.map((bytes) => store.put(key("race"), bytes, { contentType: "application/octet-stream" })));
      const bytes = await read(key("race"));
      assert.ok(versions.some((version) => version.equals(bytes!)), "the object is one of the versions, not a mix");
      assert.equal((await store.head(key("race")))?.size, bytes!.length);
    });

    it("refuses hostile keys in every operation", async () => {
      for (const hostile of ["../escape", "/absolute", "a//b", "a/../../b", "a/./b", "a\\b", "a\u0000b", "", "%2e%2e/x", "a b", "x".repeat(600), "a/"]) {
        await assert.rejects(store.put(hostile, Buffer.from("x"), { contentType: "text/plain" }), /Not an object key/, `put ${JSON.stringify(hostile)}`);
        await assert.rejects(store.get(hostile), /Not an object key/);
        await assert.rejects(store.head(hostile), /Not an object key/);
        await assert.rejects(store.delete(hostile), /Not an object key/);
        await assert.rejects(store.presignPut(hostile, { contentType: "image/png", contentLength: 1, expiresInSeconds: 60 }), /Not an object key/);
      }
    });

    describe("presigned PUT", () => {
      const body = randomBytes(2_000);
      const presign = (name: string, overrides: Partial<{ contentLength: number; expiresInSeconds: number; signedAt: Date }> = {}) =>
        store.presignPut(key(name), { contentType: "image/png", contentLength: body.length, expiresInSeconds: 300, ...overrides });
      const send = (url: string, bytes: Buffer, contentType = "image/png") =>
        fetch(url, { method: "PUT", body: new Uint8Array(bytes), headers: { "content-type": contentType } }).then(async (response) => {
          await response.arrayBuffer();
          return response.status;
        });

      it("stores an upload that keeps the signed type and length", async () => {
        const upload = await presign("ok");
        assert.equal(upload.method, "PUT");
        assert.ok(upload.expiresAt.getTime() > Date.now());
        assert.equal(await send(upload.url, body, upload.headers["content-type"]), 200);
        assert.deepEqual(await read(key("ok")), body);
        assert.equal((await store.head(key("ok")))?.contentType, "image/png");
      });

      it("refuses another content type, a longer or a shorter body, and stores nothing", async () => {
        const upload = await presign("wrong");
        assert.ok((await send(upload.url, body, "text/html")) >= 400, "another content type");
        assert.ok((await send(upload.url, Buffer.concat([body, Buffer.from("more")]))) >= 400, "a longer body");
        assert.ok((await send(upload.url, body.subarray(0, 100))) >= 400, "a shorter body");
        assert.equal(await store.head(key("wrong")), null);
      });

      it("refuses an expired URL", async () => {
        const upload = await presign("expired", { expiresInSeconds: 60, signedAt: new Date(Date.now() - 3_600_000) });
        assert.ok((await send(upload.url, body)) >= 400);
        assert.equal(await store.head(key("expired")), null);
      });

      it("refuses a URL whose key, signature or expiry was changed", async () => {
        const upload = await presign("tampered");
        const otherKey = upload.url.replace("/tampered", "/elsewhere");
        assert.ok((await send(otherKey, body)) >= 400, "another key");
        const url = new URL(upload.url);
        for (const [name, value] of url.searchParams) {
          if (!/signature|expires|date/i.test(name)) continue;
          const changed = new URL(upload.url);
          changed.searchParams.set(name, /date/i.test(name) ? "20991231T000000Z" : /expires/i.test(name) ? String(Number(value) + 1000) : value.slice(0, -2) + (value.endsWith("AA") ? "BB" : "AA"));
          assert.ok((await send(changed.toString(), body)) >= 400, `changed ${name}`);
        }
        assert.equal(await store.head(key("tampered")), null);
        assert.equal(await store.head(key("elsewhere")), null);
      });
    });
  });
}
