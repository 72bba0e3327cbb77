import { issueAccessToken, signInternalCredential } from "#kernel";
import type { GraphQLAnswer, ScenarioSetup } from "../scenarios/scenario.js";
import { hostileTokens } from "./hostile-tokens.js";

/**
 * What `npm run bench` hands every scenario's `prepare`: the reference gateway, tokens signed
 * with the run's secret, the seeded catalog's ids. Shared with the test that runs every
 * scenario's setup on a small embedded platform (test/bench/read-scenarios-setup.test.ts).
 */
export function scenarioSetup(options: {
  referenceUrl: string;
  auth: { secret: string; issuer: string };
  internalSecret: string;
  inventory: boolean;
  seedProducts: number;
  connections: number;
}): ScenarioSetup {
  const { auth } = options;
  return {
    reference: async (query, variables = {}, token) => {
      const response = await fetch(options.referenceUrl, {
        method: "POST",
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as GraphQLAnswer;
    },
    token: (userId) => issueAccessToken(auth, { userId, roles: ["customer"] }),
    internalCredential: () => signInternalCredential(options.internalSecret, { aud: "products", requestId: "bench-direct" }),
    inventory: options.inventory,
    productIds: Array.from({ length: options.seedProducts }, (_, i) => `prod_${String(i + 1).padStart(7, "0")}`),
    connections: options.connections,
    hostileTokens: (userId, otherUserId) => hostileTokens(auth, userId, otherUserId),
  };
}
