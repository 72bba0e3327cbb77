import { createHash, randomBytes } from "node:crypto";

const RANDOM_HEX = 24;
const CHECK_HEX = 12;

const checkOf = (userId: string, random: string) => createHash("sha256").update(`address:${userId}:${random}`).digest("hex").slice(0, CHECK_HEX);

/**
 * A new address id for the user: `adr_`, 96 random bits, and a check derived from the user and
 * those bits (40 characters, the column's width). The check lets a removal tell an address this
 * user had and removed (a removal sent again, a double click) from an id that was never theirs,
 * with nothing kept after the removal.
 */
export function newAddressId(userId: string): string {
  const random = randomBytes(RANDOM_HEX / 2).toString("hex");
  return `adr_${random}${checkOf(userId, random)}`;
}

/**
 * Whether the id was minted for this user by newAddressId. Another user's id fails (its check is
 * of another user), as does an id made before ids carried a check: a removal of one that is gone
 * stays NOT_FOUND. Forging one only tells its maker about their own address book.
 */
export function wasIssuedTo(addressId: string, userId: string): boolean {
  const match = /^adr_([0-9a-f]{24})([0-9a-f]{12})$/.exec(addressId);
  return match !== null && checkOf(userId, match[1]!) === match[2];
}
