import DataLoader from "dataloader";
import type { RequestContext } from "#kernel";
import type { Address, User } from "./domain/user.js";
import type { AccountService } from "./domain/account.service.js";
import type { AddressService } from "./domain/address.service.js";
import type { GuestCartMerge } from "./ports/guest-cart-merge.js";
import type { AccountMailService } from "./domain/account-mail.service.js";

export interface AccountsContext extends RequestContext {
  accounts: AccountService;
  addresses: AddressService;
  mail: AccountMailService;
  /** One batched store read per tick for every user a request asks for. */
  userById: DataLoader<string, User | null>;
  addressesOf: DataLoader<string, Address[]>;
  /** Merges a guest cart at logIn/signUp; absent where no cart subgraph is wired (unit tests). */
  guestCarts?: GuestCartMerge;
}

export function createAccountsContext(base: RequestContext, accounts: AccountService, addresses: AddressService, mail: AccountMailService): AccountsContext {
  return {
    ...base,
    accounts,
    addresses,
    mail,
    userById: new DataLoader(async (ids) => {
      const found = await accounts.findByIds(ids);
      return ids.map((id) => found.get(id) ?? null);
    }),
    addressesOf: new DataLoader(async (userIds) => {
      const found = await addresses.listFor(userIds);
      return userIds.map((id) => found.get(id) ?? []);
    }),
  };
}

/** Who may see a user: the user, an administrator, or another service. */
export function maySeeUser(ctx: RequestContext, userId: string): boolean {
  const identity = ctx.identity;
  if (!identity) return false;
  return identity.userId === userId || identity.roles.includes("admin") || identity.roles.includes("service");
}
