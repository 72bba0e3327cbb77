import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Device proofs: what a client that has signed in before sends with its next log-ins, so the
 * login throttle judges it by its own failure budget instead of the account's (OWASP's
 * "device cookies" against locking a customer out on purpose).
 *
 * A proof is `dp1.<device>.<expires>.<credential>.<mac>`: a random device id, an expiry (Unix
 * seconds, base 36), a tag of the password hash it was issued under and an HMAC-SHA256 over
 * those and the account's email key. Nothing is stored: the MAC makes it unforgeable and
 * unguessable (256 bits), binds it to one account (another account's proof does not verify)
 * and to its expiry; the credential tag revokes it when the password changes (a reset), since
 * whoever learned the old password and signed in may hold one. Verification is in two steps so
 * a made-up proof costs one HMAC and no read: `verify` needs only the secret, `issuedUnder`
 * compares the tag once the caller has the account's current password hash.
 */
export interface VerifiedDevice {
  deviceId: string;
  credentialTag: string;
}

export interface DeviceProofs {
  /** A proof for the account; `deviceId` keeps a known device's id (and so its failure count) across renewals. */
  issue(account: string, passwordHash: string, now: Date, deviceId?: string): string;
  /** The device when the proof is well formed, signed for this account and unexpired at `now`; null otherwise. */
  verify(proof: string, account: string, now: Date): VerifiedDevice | null;
  /** Whether the device's proof was issued under this password hash (false after a reset). */
  issuedUnder(device: VerifiedDevice, passwordHash: string): boolean;
}

export interface DeviceProofOptions {
  /** The service's secret; the signing key is derived from it for this use only. */
  secret: string;
  ttlSeconds: number;
}

const PROOF = /^dp1\.([A-Za-z0-9_-]{22})\.([0-9a-z]{1,11})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{43})$/;

export function createDeviceProofs(options: DeviceProofOptions): DeviceProofs {
  // A key of its own, so a device proof's MAC can never be taken for any other signed value.
  const key = createHmac("sha256", options.secret).update("login-device-proof/v1").digest();
  const mac = (fields: string) => createHmac("sha256", key).update(fields).digest();
  const credentialTag = (passwordHash: string) => createHmac("sha256", key).update(`credential\n${passwordHash}`).digest().subarray(0, 12).toString("base64url");
  const signed = (account: string, deviceId: string, expires: string, tag: string) => mac(`dp1\n${account}\n${deviceId}\n${expires}\n${tag}`);

  return {
    issue(account, passwordHash, now, deviceId = randomBytes(16).toString("base64url")) {
      const expires = Math.floor(now.getTime() / 1000 + options.ttlSeconds).toString(36);
      const tag = credentialTag(passwordHash);
      return `dp1.${deviceId}.${expires}.${tag}.${signed(account, deviceId, expires, tag).toString("base64url")}`;
    },

    verify(proof, account, now) {
      const match = PROOF.exec(proof);
      if (!match) return null;
      const [, deviceId, expires, tag, given] = match as unknown as [string, string, string, string, string];
      // Compared as text: decoding first would take spellings that differ only in the last
      // character's unused bits for the same MAC, so one proof would have several forms.
      const expected = Buffer.from(signed(account, deviceId, expires, tag).toString("base64url"));
      const actual = Buffer.from(given);
      if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return null;
      if (parseInt(expires, 36) * 1000 <= now.getTime()) return null;
      return { deviceId, credentialTag: tag };
    },

    issuedUnder(device, passwordHash) {
      const current = Buffer.from(credentialTag(passwordHash));
      const held = Buffer.from(device.credentialTag);
      return current.length === held.length && timingSafeEqual(current, held);
    },
  };
}
