/** Who is calling, as verified by the gateway. Anonymous callers have no identity. */
export type Role = "customer" | "admin";

export interface Identity {
  userId: string;
  roles: Role[];
}

export const isAdmin = (identity: Identity | undefined): boolean => identity?.roles.includes("admin") ?? false;
