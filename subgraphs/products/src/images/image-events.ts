/** Payload of ImageAttached on `Topics.imageAttached`, keyed by the image's content hash. */
export interface ImageAttachedPayload {
  productId: string;
  /** The original's blob path, `originals/<sha256>.<ext>`. */
  url: string;
  width: number;
  height: number;
}
