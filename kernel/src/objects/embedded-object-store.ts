import { createHash, randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { ObjectStore, PresignedUpload, PresignPutOptions, StoredObject, StoredObjectInfo } from "./object-store.js";
import { assertObjectKey, assertObjectPrefix, isObjectKey } from "./object-key.js";
import { signUpload, uploadSignatureMatches } from "./upload-signature.js";

export interface EmbeddedObjectStoreOptions {
  /** The folder holding the objects (created when missing). */
  dir: string;
  /** Secret signing upload URLs. */
  secret: string;
  /** Base URL of the route that receives signed uploads (`<base>/<key>?…`); asked per URL, so a server on port 0 can answer it once listening. */
  uploadBaseUrl: () => string;
  now?: () => number;
}

/** Answer of the upload route to one signed PUT. */
export interface UploadOutcome {
  status: 200 | 400 | 403 | 413;
  message: string;
  object?: StoredObjectInfo;
}

const HEADER_LIMIT = 1024;

/**
 * Objects as files in one folder: each file holds a one-line JSON header (type, size, ETag)
 * and then the bytes, written to a temporary file and renamed into place, so a put is atomic
 * and a reader never sees a header and bytes from two different puts. File names are the
 * URI-encoded key: one flat folder, no directories to escape from.
 */
export class EmbeddedObjectStore implements ObjectStore {
  readonly engine = "embedded";
  private ready?: Promise<void>;

  constructor(private readonly options: EmbeddedObjectStoreOptions) {}

  private async folder(): Promise<string> {
    this.ready ??= mkdir(this.options.dir, { recursive: true }).then(() => undefined);
    await this.ready;
    return this.options.dir;
  }

  private path(dir: string, key: string): string {
    return join(dir, encodeURIComponent(key));
  }

  async put(key: string, bytes: Buffer, { contentType }: { contentType: string }): Promise<StoredObjectInfo> {
    assertObjectKey(key);
    const dir = await this.folder();
    const info: StoredObjectInfo = { key, size: bytes.length, contentType, etag: `"${createHash("sha256").update(bytes).digest("hex").slice(0, 40)}"` };
    const header = Buffer.from(JSON.stringify({ contentType, size: info.size, etag: info.etag }) + "\n");
    const temporary = join(dir, `.tmp-${randomUUID()}`);
    const file = await open(temporary, "w");
    try {
      await file.writeFile(Buffer.concat([header, bytes]));
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, this.path(dir, key));
    return info;
  }

  private async readHeader(key: string): Promise<{ info: StoredObjectInfo; offset: number; path: string } | null> {
    assertObjectKey(key);
    const path = this.path(await this.folder(), key);
    let file;
    try {
      file = await open(path, "r");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
    try {
      const buffer = Buffer.alloc(HEADER_LIMIT);
      const { bytesRead } = await file.read(buffer, 0, HEADER_LIMIT, 0);
      const end = buffer.subarray(0, bytesRead).indexOf(0x0a);
      if (end < 0) throw new Error(`Object file of ${key} has no header`);
      const header = JSON.parse(buffer.subarray(0, end).toString("utf8")) as { contentType: string; size: number; etag: string };
      return { info: { key, size: header.size, contentType: header.contentType, etag: header.etag }, offset: end + 1, path };
    } finally {
      await file.close();
    }
  }

  async head(key: string): Promise<StoredObjectInfo | null> {
    return (await this.readHeader(key))?.info ?? null;
  }

  async get(key: string): Promise<StoredObject | null> {
    const found = await this.readHeader(key);
    if (!found) return null;
    // A rename replacing the file meanwhile leaves this stream on the old inode: old bytes, whole.
    return { ...found.info, body: createReadStream(found.path, { start: found.offset }) };
  }

  async delete(key: string): Promise<void> {
    assertObjectKey(key);
    await rm(this.path(await this.folder(), key), { force: true });
  }

  async list(prefix: string): Promise<StoredObjectInfo[]> {
    assertObjectPrefix(prefix);
    const names = await readdir(await this.folder());
    const keys = names
      .filter((name) => !name.startsWith("."))
      .map((name) => decodeURIComponent(name))
      .filter((key) => key.startsWith(prefix))
      .sort();
    const infos = await Promise.all(keys.map((key) => this.head(key)));
    return infos.filter((info): info is StoredObjectInfo => info !== null);
  }

  async presignPut(key: string, options: PresignPutOptions): Promise<PresignedUpload> {
    assertObjectKey(key);
    const signedAt = options.signedAt?.getTime() ?? this.now();
    const expires = Math.floor(signedAt / 1000) + options.expiresInSeconds;
    const terms = { key, contentType: options.contentType, contentLength: options.contentLength, expires };
    const query = new URLSearchParams({ type: terms.contentType, length: String(terms.contentLength), expires: String(expires), signature: signUpload(this.options.secret, terms) });
    return {
      url: `${this.options.uploadBaseUrl().replace(/\/+$/, "")}/${key}?${query}`,
      method: "PUT",
      headers: { "content-type": options.contentType },
      expiresAt: new Date(expires * 1000),
    };
  }

  /**
   * Stores one upload sent to a presigned URL when every term holds: the signature covers key,
   * type, length and expiry; the request's Content-Type and Content-Length are the signed
   * ones; the body is exactly that long (reading stops one byte past it).
   */
  async acceptSignedUpload(request: {
    key: string;
    query: URLSearchParams;
    contentType: string | undefined;
    contentLength: string | undefined;
    body: AsyncIterable<Buffer>;
  }): Promise<UploadOutcome> {
    const { key, query } = request;
    const length = Number(query.get("length"));
    const expires = Number(query.get("expires"));
    const type = query.get("type") ?? "";
    const signature = query.get("signature") ?? "";
    if (!isObjectKey(key) || !Number.isSafeInteger(length) || length < 0 || !Number.isSafeInteger(expires)) return { status: 400, message: "Malformed upload URL" };
    if (!uploadSignatureMatches(this.options.secret, { key, contentType: type, contentLength: length, expires }, signature)) return { status: 403, message: "Upload URL signature does not match" };
    if (expires * 1000 <= this.now()) return { status: 403, message: "Upload URL expired" };
    if (request.contentType !== type) return { status: 403, message: "Content-Type differs from the signed one" };
    if (request.contentLength !== String(length)) return { status: 403, message: "Content-Length differs from the signed one" };
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request.body) {
      size += chunk.length;
      if (size > length) return { status: 413, message: "Body longer than the signed length" };
      chunks.push(chunk);
    }
    if (size !== length) return { status: 400, message: "Body shorter than the signed length" };
    return { status: 200, message: "Stored", object: await this.put(key, Buffer.concat(chunks), { contentType: type }) };
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  async close(): Promise<void> {}
}
