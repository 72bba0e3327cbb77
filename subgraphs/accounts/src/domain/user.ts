import type { Role } from "#kernel";

/** The role stored with an account; a token's roles follow from it (`rolesOf`). */
export type AccountRole = "customer" | "admin";

/** An account as the service sees it. The password hash is never part of it. */
export interface User {
  id: string;
  /** As typed at sign-up. */
  email: string;
  name: string;
  role: AccountRole;
  defaultAddressId: string | null;
  /** When the user proved they read mail at `email`; null until then. */
  emailVerifiedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface AddressFields {
  recipientName: string;
  line1: string;
  line2: string | null;
  city: string;
  region: string | null;
  postalCode: string;
  country: string;
  phone: string | null;
}

export interface Address extends AddressFields {
  id: string;
  userId: string;
  /** Whether the owner's default address is this one. */
  isDefault: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** Administrators shop too, so they carry both roles. */
export const rolesOf = (user: Pick<User, "role">): Role[] => (user.role === "admin" ? ["customer", "admin"] : ["customer"]);
