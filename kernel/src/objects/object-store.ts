import type { Readable } from "node:stream";

/** What is known about a stored object without reading it. */
export interface StoredObjectInfo {
  key: string;
  /** Bytes. */
  size: number;
  contentType: string;
  /** A strong entity tag, quoted as HTTP sends it (`"…"`); it changes whenever the bytes do. */
  etag: string;
}

/** An object being read: its description and a stream of its bytes (read it or destroy it). */
export interface StoredObject extends StoredObjectInfo {
  body: Readable;
}

export interface PresignPutOptions {
  /** The only Content-Type the upload may carry. */
  contentType: string;
  /** The exact number of bytes the upload must carry. */
  contentLength: number;
  /** How long the URL stays usable. */
  expiresInSeconds: number;
  /** When the URL counts as signed (default now); tests sign in the past to get an expired URL. */
  signedAt?: Date;
}

/** A URL a client PUTs one object to, with the headers it must send as they are. */
export interface PresignedUpload {
  url: string;
  method: "PUT";
  headers: Record<string, string>;
  expiresAt: Date;
}

/**
 * The object-storage role (originals and renditions of product images, never in a database).
 * Keys are checked by `assertObjectKey` in every adapter: a key names one object and nothing
 * outside the store. A put replaces the whole object at once, so a reader sees the old bytes
 * or the new ones, never a mix. One contract suite (`object-store.contract.ts`) holds every
 * adapter to these guarantees.
 */
export interface ObjectStore {
  /** `embedded` (a folder) or `s3`. */
  readonly engine: string;
  put(key: string, bytes: Buffer, options: { contentType: string }): Promise<StoredObjectInfo>;
  /** The object with a stream of its bytes, or null when no object has that key. */
  get(key: string): Promise<StoredObject | null>;
  head(key: string): Promise<StoredObjectInfo | null>;
  /** Removes the object; removing a missing one is not an error. */
  delete(key: string): Promise<void>;
  /** Every object whose key starts with `prefix`, by key. */
  list(prefix: string): Promise<StoredObjectInfo[]>;
  /**
   * A URL through which a client uploads one object directly, with no credentials of its own.
   * The store refuses an upload with another Content-Type or length, after expiry, or through
   * a URL changed in any part.
   */
  presignPut(key: string, options: PresignPutOptions): Promise<PresignedUpload>;
  close(): Promise<void>;
}

/** Reads a whole object's stream into memory, refusing it past `limitBytes`. */
export async function readObjectBytes(object: StoredObject, limitBytes: number): Promise<Buffer> {
  if (object.size > limitBytes) {
    object.body.destroy();
    throw new RangeError(`Object ${object.key} is ${object.size} bytes, over ${limitBytes}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of object.body) {
    size += (chunk as Buffer).length;
    if (size > limitBytes) {
      object.body.destroy();
      throw new RangeError(`Object ${object.key} grew over ${limitBytes} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
