import { createAccessTokenIssuer, loopbackHostCheck, recordSessionsEnded, startSubgraphServer, subgraphReadiness, type AccessTokenIssuer, type Platform, type RunningServer } from "#kernel";
import type { Redis } from "ioredis";
import { createAccountsSchema } from "./subgraph.js";
import { createAccountsContext } from "./subgraph-context.js";
import { createAccountService, type AccountService } from "./domain/account.service.js";
import { createPasswordWorkGate, passwordWorkLimits } from "./domain/password-work-gate.js";
import { createAddressService, type AddressService } from "./domain/address.service.js";
import { createAccountMailService, type AccountMailService } from "./domain/account-mail.service.js";
import { createEventBusAccountMailer } from "./adapters/event-bus-account-mailer.js";
import { openUserStore } from "./adapters/open-user-store.js";
import { createSubgraphGuestCartMerge } from "./adapters/subgraph-guest-cart-merge.js";
import { createLoginThrottle } from "./adapters/rate-limiter-login-throttle.js";
import { createDeviceProofs } from "./domain/login-device-proof.js";
import { JWKS_PATH, jwksRoute } from "./http/jwks-route.js";
import type { UserStore } from "./ports/user-store.js";

export interface RunningAccounts extends RunningServer {
  accounts: AccountService;
  addresses: AddressService;
  mail: AccountMailService;
  store: UserStore;
  tokens: AccessTokenIssuer;
  /** Where the public signing keys are served; undefined with HS256 (nothing to publish). */
  jwksUrl?: string;
}

/** Starts the accounts subgraph on the platform: user store, login throttle, services, server. */
export async function startAccountsSubgraph(
  platform: Platform,
  options: { port?: number; store?: UserStore; /** Where the cart subgraph answers, asked at the first guest cart merge. */ cartUrl?: () => string } = {},
): Promise<RunningAccounts> {
  const { config, logger: rootLogger } = platform;
  const logger = rootLogger.child({ subgraph: "accounts" });
  const store = options.store ?? (await openUserStore(config, logger));
  const tokens = createAccessTokenIssuer({
    issuer: config.auth.jwtIssuer,
    audience: config.auth.jwtAudience,
    secret: config.auth.jwtSecret,
    privateKeyPem: config.auth.jwtPrivateKey,
    ttlSeconds: config.auth.accessTokenTtlSeconds,
  });
  // The Redis store exposes its connection; rate-limiter-flexible runs its own scripts on it.
  const redis = platform.kv.engine === "redis" ? (platform.kv as unknown as { client: Redis }).client : undefined;
  const throttle = createLoginThrottle({ ...config.accounts.loginThrottle, redis });
  const passwordWork = createPasswordWorkGate(passwordWorkLimits(config.accounts.passwordChecks));
  const ended = { kv: platform.kv, bus: platform.bus, maxTokenLifetimeSeconds: config.auth.accessTokenMaxLifetimeSeconds };
  const mail = createAccountMailService({
    store,
    mailer: createEventBusAccountMailer({ bus: platform.bus, internalSecret: config.auth.internalSecret }),
    throttle: createLoginThrottle({ ...mailThrottleLimits(config), redis, keyPrefix: "account-mail" }),
    loginThrottle: throttle,
    logger,
    passwordResetTtlMinutes: config.accounts.mail.passwordResetTtlMinutes,
    emailVerificationTtlHours: config.accounts.mail.emailVerificationTtlHours,
    repeatWindowSeconds: config.accounts.mail.repeatWindowSeconds,
    endEverySession: (userId) => recordSessionsEnded(ended, { userId, everySession: true }),
    passwordWork,
  });
  const accounts = createAccountService({
    store,
    throttle,
    deviceProofs: createDeviceProofs({ secret: config.auth.internalSecret, ttlSeconds: config.accounts.deviceProofTtlSeconds }),
    tokens,
    refreshTokenTtlSeconds: config.auth.refreshTokenTtlSeconds,
    refreshTokenKey: config.auth.internalSecret,
    logger,
    endSession: (end) => recordSessionsEnded(ended, end),
    onSignedUp: (user) => mail.mailVerification(user.id),
    onSignUpWithTakenEmail: (email, clientAddress) => mail.noticeSignUpWithTakenEmail(email, clientAddress),
    passwordWork,
  });
  const addresses = createAddressService({ store });
  const guestCarts = createSubgraphGuestCartMerge({ cartUrl: options.cartUrl ?? (() => config.gateway.subgraphUrls.cart), internalSecret: config.auth.internalSecret });
  try {
    const server = await startSubgraphServer({
      name: "accounts",
      schema: createAccountsSchema(),
      internalSecret: config.auth.internalSecret,
      logger,
      extendContext: (base) => ({ ...createAccountsContext(base, accounts, addresses, mail), guestCarts }),
      port: options.port ?? config.subgraphPorts.accounts,
      host: config.host,
      acceptsHost: loopbackHostCheck(config),
      readiness: subgraphReadiness(platform, { needs: ["users"], uses: ["cache"] }),
      publicRoutes: jwksRoute(tokens),
    });
    logger.info("accounts ready", { store: store.engine, throttle: throttle.engine, tokens: tokens.algorithm });
    return {
      ...server,
      accounts,
      addresses,
      mail,
      store,
      tokens,
      jwksUrl: tokens.publicJwks() ? server.url.replace(/\/graphql$/, JWKS_PATH) : undefined,
      async close() {
        await server.close();
        await guestCarts.close();
        await mail.settled();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/**
 * The mail throttle is the login throttle's machinery with the mail budgets, counted as failed
 * log-ins are: an email's requests per client network, so a stranger who spends them refuses
 * that network and not the owner's; and a higher ceiling per email over every network, which
 * bounds what one mailbox receives. Counted per email alone, five requests from anywhere
 * refused the owner's own reset for the rest of the hour.
 */
function mailThrottleLimits(config: Platform["config"]) {
  const { perAccount, perAccountAllNetworks, perAddress, windowSeconds } = config.accounts.mail.throttle;
  return { failuresPerAccountFromAddress: perAccount, failuresPerAccount: perAccountAllNetworks, failuresPerAddress: perAddress, windowSeconds };
}
