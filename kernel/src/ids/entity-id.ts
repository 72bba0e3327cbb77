import { randomUUID } from "node:crypto";

/** The prefixes of ids minted here, one per kind of entity, beside `ord_`, `adr_`, `usr_` and `prod_`. */
export type EntityIdPrefix = "pay" | "rfd" | "ret";

/**
 * A new id for a payment, refund or return: `<prefix>_` and 32 hex digits of a random UUID.
 * Prefixed as orders, addresses and users are, so whoever reads one (a client, a support
 * ticket, a log line) can tell a refund from a return or a payment. Ids are opaque strings:
 * the bare UUIDs given before stay valid wherever they are passed.
 */
export function newEntityId(prefix: EntityIdPrefix): string {
  return `${prefix}_${randomUUID().replaceAll("-", "")}`;
}
