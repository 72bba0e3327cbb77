/**
 * The access tokens the explorer fills into the tabs' headers: the last one a LogIn, SignUp or
 * RefreshSession run here answered (any account), and the last one of an admin. The journey
 * logs in as the admin first and then signs up a customer, so the admin tabs that follow
 * (SetTaxRate, ShipOrder, ApproveReturn, ...) keep working as the admin while the shopping tabs
 * act as the new customer. In memory only, never stored.
 */

/** Replaced by the last access token of any account. */
export const TOKEN_PLACEHOLDER = '<accessToken>';
/** Replaced by the last access token of an account with the admin role. */
export const ADMIN_TOKEN_PLACEHOLDER = '<adminAccessToken>';

/** The roles an access token names (its payload, unverified: the gateway verifies it). */
function rolesOf(token) {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const roles = JSON.parse(atob(payload)).roles;
    return Array.isArray(roles) ? roles : [];
  } catch {
    return [];
  }
}

export function createSessionTokens() {
  let last;
  let lastAdmin;
  return {
    /** Keeps the token of a LogIn, SignUp or RefreshSession answer; other answers change nothing. */
    remember(result) {
      const data = result && result.data;
      const payload = data && (data.logIn || data.signUp || data.refreshToken);
      if (!payload || typeof payload.accessToken !== 'string') return;
      last = payload.accessToken;
      if (rolesOf(last).includes('admin')) lastAdmin = last;
    },
    /**
     * The headers with the placeholders filled. A header whose token is not known yet is left
     * out, so the gateway says "sign in" instead of "that is not an access token".
     */
    fill(headers) {
      if (!headers) return headers;
      const filled = {};
      for (const [name, value] of Object.entries(headers)) {
        if (typeof value !== 'string') filled[name] = value;
        else if (value.includes(ADMIN_TOKEN_PLACEHOLDER)) {
          if (lastAdmin) filled[name] = value.replace(ADMIN_TOKEN_PLACEHOLDER, lastAdmin);
        } else if (value.includes(TOKEN_PLACEHOLDER)) {
          if (last) filled[name] = value.replace(TOKEN_PLACEHOLDER, last);
        } else filled[name] = value;
      }
      return filled;
    },
  };
}
