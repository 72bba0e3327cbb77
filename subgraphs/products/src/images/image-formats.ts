/** The image encodings accepted for upload, recognised by their first bytes. */
export type UploadFormat = "jpeg" | "png" | "webp" | "avif" | "gif";

export const UPLOAD_CONTENT_TYPES: Record<UploadFormat, string> = {
  jpeg: "image/jpeg",
  png: "image/png",
  webp: "image/webp",
  avif: "image/avif",
  gif: "image/gif",
};

export const FILE_EXTENSIONS: Record<UploadFormat, string> = { jpeg: "jpg", png: "png", webp: "webp", avif: "avif", gif: "gif" };

export function formatOfContentType(contentType: string): UploadFormat | undefined {
  const type = contentType.trim().toLowerCase();
  return (Object.keys(UPLOAD_CONTENT_TYPES) as UploadFormat[]).find((format) => UPLOAD_CONTENT_TYPES[format] === type);
}

/**
 * What the bytes say they are, from their signature (never the name or the declared type):
 * JPEG FF D8 FF; PNG's 8-byte signature; GIF87a/GIF89a; WebP a RIFF container of type WEBP;
 * AVIF an ISO-BMFF `ftyp` box whose brand is avif or avis.
 */
export function sniffImageFormat(bytes: Buffer): UploadFormat | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "jpeg";
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return "png";
  if (bytes.length >= 6 && /^GIF8[79]a$/.test(bytes.subarray(0, 6).toString("latin1"))) return "gif";
  if (bytes.length >= 12 && bytes.subarray(0, 4).toString("latin1") === "RIFF" && bytes.subarray(8, 12).toString("latin1") === "WEBP") return "webp";
  if (bytes.length >= 12 && bytes.subarray(4, 8).toString("latin1") === "ftyp" && /^avi[fs]$/.test(bytes.subarray(8, 12).toString("latin1"))) return "avif";
  return undefined;
}
