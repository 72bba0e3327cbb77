// The accounts package's public surface, for other subgraphs: add exports here with intention.
// Checkout validates an address typed at checkout by the same rules as a saved one.
export { validAddress, type AddressInput } from "./domain/account.validation.js";
