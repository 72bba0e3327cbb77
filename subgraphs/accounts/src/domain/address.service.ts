import { badInput, notFound, postalCodeOf, regionOf, unauthenticated } from "#kernel";
import type { Address } from "./user.js";
import { validAddress, validAddressChanges, type AddressInput } from "./account.validation.js";
import { newAddressId, wasIssuedTo } from "./address-id.js";
import type { UserStore } from "../ports/user-store.js";

export const MAX_ADDRESSES_PER_USER = 20;

/**
 * A user's address book. Every operation is scoped to the caller: an address id of another
 * user fails with the same NOT_FOUND as an id that never existed, so ids leak nothing (but for
 * the removal of one the caller had, which answers as the removal it repeats).
 */
export function createAddressService(deps: { store: UserStore; clock?: () => Date }) {
  const { store } = deps;
  const clock = deps.clock ?? (() => new Date());

  return {
    listFor: (userIds: readonly string[]) => store.listAddresses(userIds),

    defaultFor: (userId: string) => store.defaultAddress(userId),

    async add(userId: string, input: AddressInput & { makeDefault?: boolean | null }): Promise<Address> {
      const fields = validAddress(input);
      // A validly signed token may name no account (one signed for a made-up user, or for an
      // account since removed): the caller is told to sign in, not given an internal error.
      if (!(await store.findUsersByIds([userId])).has(userId)) throw unauthenticated("Your access token names no account; sign up or log in again");
      const id = newAddressId(userId);
      // The cap is the size the schema declares for User.addresses (the gateway's cost measure
      // counts on it), so the store judges it with the user locked, not this call beforehand.
      const added = await store.addAddress(userId, { ...fields, id, createdAt: clock() }, input.makeDefault ?? false, MAX_ADDRESSES_PER_USER);
      if (!added) throw badInput(`An account can keep at most ${MAX_ADDRESSES_PER_USER} addresses; remove one first`);
      return added;
    },

    async update(userId: string, addressId: string, input: Parameters<typeof validAddressChanges>[0]): Promise<Address> {
      const changes = validAddressChanges(input);
      if (changes.country !== undefined || changes.region !== undefined || changes.postalCode !== undefined) {
        // The region's rule is the country's, and the postal code's the region's: judged on the address as it will be.
        const current = (await store.listAddresses([userId])).get(userId)?.find((address) => address.id === addressId);
        if (!current) throw notFound("Address", addressId);
        const country = changes.country ?? current.country;
        changes.region = regionOf(country, changes.region !== undefined ? changes.region : current.region);
        changes.postalCode = postalCodeOf(country, changes.region, changes.postalCode ?? current.postalCode);
      }
      const updated = await store.updateAddress(userId, addressId, changes, clock());
      if (!updated) throw notFound("Address", addressId);
      return updated;
    },

    /**
     * Removing is reaching a state: an address book without the address. One this user had and
     * removed already (a removal sent again after a lost answer, a double click, another tab)
     * answers its id again; an id never theirs is NOT_FOUND, as every other operation answers.
     */
    async remove(userId: string, addressId: string): Promise<string> {
      if (!(await store.removeAddress(userId, addressId)) && !wasIssuedTo(addressId, userId)) throw notFound("Address", addressId);
      return addressId;
    },

    async setDefault(userId: string, addressId: string): Promise<Address> {
      const address = await store.setDefaultAddress(userId, addressId);
      if (!address) throw notFound("Address", addressId);
      return address;
    },
  };
}

export type AddressService = ReturnType<typeof createAddressService>;
