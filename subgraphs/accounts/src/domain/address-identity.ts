import type { AddressFields } from "./user.js";

const FIELDS = ["recipientName", "line1", "line2", "city", "region", "postalCode", "country", "phone"] as const satisfies readonly (keyof AddressFields)[];

/**
 * What an address reads as, whatever its letter case, compatibility forms (NFKC) and runs of
 * spaces: two addresses with the same reading are one place for one recipient. A double-clicked
 * "Save address", or a form sent again after a lost answer, adds such a twin; the address book
 * keeps the first (see UserStore.addAddress).
 */
export function addressReading(address: AddressFields): string {
  return FIELDS.map((field) => (address[field] ?? "").normalize("NFKC").toLowerCase().replace(/\s+/g, " ").trim()).join("\n");
}

/** Whether two addresses read the same (see addressReading). */
export const sameAddress = (a: AddressFields, b: AddressFields): boolean => addressReading(a) === addressReading(b);
