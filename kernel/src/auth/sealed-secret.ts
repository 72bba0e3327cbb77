import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

/**
 * Seals a short secret (a one-time token) for a trusted reader that shares INTERNAL_SECRET:
 * AES-256-GCM under a key derived for one purpose (HKDF), so a sealed value read from an
 * event log is useless, and a value sealed for one purpose cannot be opened for another.
 */
const keyFor = (secret: string, purpose: string) => Buffer.from(hkdfSync("sha256", secret, "storefront-sealed-secret", purpose, 32));

export function sealSecret(secret: string, purpose: string, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keyFor(secret, purpose), iv);
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return ["v1", iv.toString("base64url"), body.toString("base64url"), cipher.getAuthTag().toString("base64url")].join(".");
}

/** The plaintext, or undefined when the value was not sealed with this secret and purpose. */
export function openSealedSecret(secret: string, purpose: string, sealed: string): string | undefined {
  const [version, iv, body, tag] = sealed.split(".");
  if (version !== "v1" || !iv || body === undefined || !tag) return undefined;
  try {
    const decipher = createDecipheriv("aes-256-gcm", keyFor(secret, purpose), Buffer.from(iv, "base64url"));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
  } catch {
    return undefined;
  }
}
