import { verifyInternalCredential, type InternalClaims } from "./internal-credential.js";

/**
 * Verified headers remembered at most, per subgraph server. The gateway signs one header per
 * client request and sends it on each of that request's calls, so a header comes back within
 * milliseconds or not at all: the last thousand cover every request in flight. Only a header
 * that passed verification is kept, so no caller can fill this without the secret.
 */
const VERIFIED_KEPT = 1_000;

/**
 * Verifies the gateway's signed header, remembering each verified header until it expires:
 * an HMAC and a JSON parse were 8% of the subgraphs' CPU on a product read. A header is found
 * only by its whole text, so a changed byte is a header never seen and is verified in full
 * (and refused); a remembered one is still refused from its expiry on.
 */
export class InternalCredentialVerifier {
  private readonly verified = new Map<string, InternalClaims>();

  constructor(
    private readonly secret: string,
    private readonly kept = VERIFIED_KEPT,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The claims of a valid header for `audience` (the server's subgraph name), or undefined when
   * it is missing, forged, expired or for another server.
   */
  verify(header: string | undefined, audience: string): InternalClaims | undefined {
    if (!header) return undefined;
    const at = this.now();
    const known = this.verified.get(header);
    if (known) {
      if (known.exp > at) return known.aud === audience ? known : undefined;
      this.verified.delete(header);
      return undefined;
    }
    const claims = verifyInternalCredential(this.secret, header, at);
    if (!claims) return undefined;
    // The oldest first: it is the one whose request is most likely over.
    if (this.verified.size >= this.kept) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(header, frozen(claims));
    return claims.aud === audience ? claims : undefined;
  }

  /** Headers remembered now (tests). */
  size(): number {
    return this.verified.size;
  }
}

/**
 * One request's claims are shared by its later calls: none of them may change what the next
 * reads. The claims' own shape, not a walk of any object (the walk doubled a first sight's cost).
 */
function frozen(claims: InternalClaims): InternalClaims {
  if (claims.identity) {
    if (Array.isArray(claims.identity.roles)) Object.freeze(claims.identity.roles);
    Object.freeze(claims.identity);
  }
  return Object.freeze(claims);
}

/** Secrets whose verifiers a process keeps: one in production; tests start servers with others. */
const SHARED_SECRETS_KEPT = 8;
const shared = new Map<string, InternalCredentialVerifier>();

/**
 * The process's verifier for one secret, shared by its subgraph servers. Where several subgraphs
 * run in one process (`npm start`, the benchmark's subgraphs), the gateway's calls of one request
 * to each of them carry the same header, and each server verified it in full: an HMAC and a
 * JSON parse per subgraph called. A header is remembered only under the secret that verified it.
 */
export function sharedInternalCredentialVerifier(secret: string): InternalCredentialVerifier {
  let verifier = shared.get(secret);
  if (!verifier) {
    if (shared.size >= SHARED_SECRETS_KEPT) shared.delete(shared.keys().next().value!);
    shared.set(secret, (verifier = new InternalCredentialVerifier(secret)));
  }
  return verifier;
}
