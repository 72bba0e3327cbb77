/**
 * The device proofs this browser received at signUp and logIn, one per account, sent with the
 * next logIn for that account: with it, failed log-ins from anyone else cannot lock this
 * browser out. Kept in localStorage (they outlive the tab, like a device cookie); the few most
 * recent accounts only, for a shared computer.
 */
const DEVICE_PROOFS_KEY = "storefront.deviceProofs";
const KEPT_ACCOUNTS = 5;

type Saved = Record<string, string>;

const accountOf = (email: string) => email.trim().toLowerCase();

function saved(): Saved {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(DEVICE_PROOFS_KEY) ?? "{}");
    return parsed && typeof parsed === "object" ? (parsed as Saved) : {};
  } catch {
    return {};
  }
}

export function deviceProofFor(email: string): string | undefined {
  const proof = saved()[accountOf(email)];
  return typeof proof === "string" ? proof : undefined;
}

export function keepDeviceProof(email: string, proof: string | null | undefined): void {
  if (!proof) return;
  const account = accountOf(email);
  const others = Object.entries(saved()).filter(([key]) => key !== account);
  // Most recent last, so the oldest accounts drop first.
  const kept = Object.fromEntries([...others.slice(-(KEPT_ACCOUNTS - 1)), [account, proof]]);
  try {
    localStorage.setItem(DEVICE_PROOFS_KEY, JSON.stringify(kept));
  } catch {
    // Storage full or refused: this browser signs in as an unknown client, as before.
  }
}
