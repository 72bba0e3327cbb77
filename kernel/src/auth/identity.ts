/** Who is calling, as verified by the gateway. Anonymous callers have no identity. */
/** `service` is only ever set by one subgraph calling another, never by an access token. */
export type Role = "customer" | "admin" | "service";

export interface Identity {
  userId: string;
  roles: Role[];
}

export const isAdmin = (identity: Identity | undefined): boolean => identity?.roles.includes("admin") ?? false;
