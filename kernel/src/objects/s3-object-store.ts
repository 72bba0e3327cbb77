import type { Readable } from "node:stream";
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { ObjectStore, PresignedUpload, PresignPutOptions, StoredObject, StoredObjectInfo } from "./object-store.js";
import { assertObjectKey, assertObjectPrefix } from "./object-key.js";

export interface S3Settings {
  /** Endpoint of an S3-compatible server, e.g. http://127.0.0.1:7070 (path-style addressing). */
  url: string;
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
  region: string;
}

const missing = (error: unknown) =>
  error instanceof S3ServiceException && (error.$metadata.httpStatusCode === 404 || error.name === "NoSuchKey" || error.name === "NotFound");

/**
 * Objects in one bucket of an S3-compatible server (AWS S3, MinIO, versitygw). Presigned PUT
 * URLs sign Content-Type and Content-Length, so the server itself refuses another type or size.
 */
export class S3ObjectStore implements ObjectStore {
  readonly engine = "s3";
  private readonly client: S3Client;

  constructor(private readonly settings: S3Settings) {
    this.client = new S3Client({
      endpoint: settings.url,
      region: settings.region,
      forcePathStyle: true,
      credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
      // Checksums on every request are an AWS feature other servers answer differently.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    });
  }

  /** Creates the bucket when it does not exist yet. */
  async connect(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.settings.bucket }));
    } catch (error) {
      if (!missing(error)) throw error;
      try {
        await this.client.send(new CreateBucketCommand({ Bucket: this.settings.bucket }));
      } catch (createError) {
        // Another process created it meanwhile.
        if (!(createError instanceof S3ServiceException && /BucketAlready(OwnedByYou|Exists)/.test(createError.name))) throw createError;
      }
    }
  }

  async put(key: string, bytes: Buffer, { contentType }: { contentType: string }): Promise<StoredObjectInfo> {
    assertObjectKey(key);
    const out = await this.client.send(new PutObjectCommand({ Bucket: this.settings.bucket, Key: key, Body: bytes, ContentType: contentType, ContentLength: bytes.length }));
    return { key, size: bytes.length, contentType, etag: out.ETag ?? (await this.head(key))!.etag };
  }

  async head(key: string): Promise<StoredObjectInfo | null> {
    assertObjectKey(key);
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.settings.bucket, Key: key }));
      return { key, size: out.ContentLength ?? 0, contentType: out.ContentType ?? "application/octet-stream", etag: out.ETag ?? "" };
    } catch (error) {
      if (missing(error)) return null;
      throw error;
    }
  }

  async get(key: string): Promise<StoredObject | null> {
    assertObjectKey(key);
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: key }));
      return { key, size: out.ContentLength ?? 0, contentType: out.ContentType ?? "application/octet-stream", etag: out.ETag ?? "", body: out.Body as Readable };
    } catch (error) {
      if (missing(error)) return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    assertObjectKey(key);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: key }));
  }

  async list(prefix: string): Promise<StoredObjectInfo[]> {
    assertObjectPrefix(prefix);
    const found: StoredObjectInfo[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.settings.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const item of page.Contents ?? []) {
        // Listings carry no content type; a head per object keeps `list` one shape for every adapter.
        const info = item.Key ? await this.head(item.Key) : null;
        if (info) found.push(info);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async presignPut(key: string, options: PresignPutOptions): Promise<PresignedUpload> {
    assertObjectKey(key);
    const signedAt = options.signedAt ?? new Date();
    const command = new PutObjectCommand({ Bucket: this.settings.bucket, Key: key, ContentType: options.contentType, ContentLength: options.contentLength });
    const url = await getSignedUrl(this.client, command, {
      expiresIn: options.expiresInSeconds,
      signingDate: signedAt,
      signableHeaders: new Set(["content-type", "content-length"]),
    });
    return { url, method: "PUT", headers: { "content-type": options.contentType }, expiresAt: new Date(signedAt.getTime() + options.expiresInSeconds * 1000) };
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
