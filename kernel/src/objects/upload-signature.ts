import { createHmac, timingSafeEqual } from "node:crypto";

/** The terms a signed upload URL grants: one key, one content type, one length, until `expires`. */
export interface UploadTerms {
  key: string;
  contentType: string;
  contentLength: number;
  /** Unix seconds. */
  expires: number;
}

/**
 * HMAC-SHA256 over every term, so changing any of them (or the key in the path) voids the
 * signature; the embedded store's stand-in for an S3 presigned URL.
 */
export function signUpload(secret: string, terms: UploadTerms): string {
  return createHmac("sha256", secret)
    .update(["PUT", terms.key, terms.contentType, String(terms.contentLength), String(terms.expires)].join("\n"))
    .digest("base64url");
}

export function uploadSignatureMatches(secret: string, terms: UploadTerms, signature: string): boolean {
  const expected = Buffer.from(signUpload(secret, terms));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
