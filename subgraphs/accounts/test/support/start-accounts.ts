import {
  EmbeddedEventBus,
  EmbeddedKeyValueStore,
  INTERNAL_HEADER,
  loadConfig,
  signInternalCredential,
  type Identity,
} from "#kernel";
import { platformOver } from "#kernel/testing";
import { startAccountsSubgraph, type RunningAccounts } from "../../src/accounts-subgraph.js";
import type { UserStore } from "../../src/ports/user-store.js";

export type GraphQLAnswer = { data?: Record<string, any>; errors?: { message: string; extensions?: Record<string, any> }[] };

/** The accounts subgraph alone, in process, called as the gateway or a service would. */
export async function startAccounts(env: Record<string, string> = {}, options: { store?: UserStore } = {}) {
  const config = loadConfig({ APP_ENV: "test", LOG_LEVEL: "silent", LOGIN_FAILURES_PER_ADDRESS: "4", ...env });
  const kv = new EmbeddedKeyValueStore();
  const bus = new EmbeddedEventBus();
  const platform = platformOver({ config, bus, kv, closesEngines: true });
  const accounts: RunningAccounts = await startAccountsSubgraph(platform, { port: 0, store: options.store });
  const call = async (query: string, variables: Record<string, unknown> = {}, claims: { identity?: Identity; clientAddress?: string } = {}) => {
    const response = await fetch(accounts.url, {
      method: "POST",
      headers: { "content-type": "application/json", [INTERNAL_HEADER]: signInternalCredential(config.auth.internalSecret, { aud: "accounts", requestId: "api-test", ...claims }) },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as GraphQLAnswer;
  };
  return {
    config,
    bus,
    accounts,
    call,
    close: async () => {
      await accounts.close();
      await platform.close();
    },
  };
}
