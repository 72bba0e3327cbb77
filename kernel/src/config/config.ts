import { availableParallelism } from "node:os";
import { createPrivateKey } from "node:crypto";
import { isIP } from "node:net";
import { EnvReader } from "./env-reader.js";
import { defaultMaxConnections } from "../runtime/open-file-limit.js";
import { parseTrustedProxies, type ProxyTrust } from "../http/trusted-proxies.js";
import { hostInUrl } from "../http/http-origin.js";
import type { LogLevel } from "../logging/logger.js";
import { DEFAULT_TOKEN_AUDIENCE } from "../auth/access-token.js";
import { developmentExposureProblem } from "./development-exposure.js";

export const SUBGRAPH_NAMES = ["products", "search", "inventory", "cart", "orders", "payments", "accounts"] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

const DEFAULT_PORTS: Record<SubgraphName, number> = {
  products: 4001,
  search: 4002,
  inventory: 4003,
  cart: 4004,
  orders: 4005,
  payments: 4006,
  accounts: 4007,
};

const DEV_SECRET = "dev-only-secret-change-me-in-production-0123456789";

/**
 * The most lines a cart may hold, and so an order: the size the cart and orders schemas
 * declare for Cart.items and Order.items (`@listSize`), which the gateway's cost measure
 * counts. CART_MAX_LINES may lower it, never raise it past what the measure assumes.
 */
export const MAX_CART_LINES = 50;

/** Every setting of the platform, parsed and validated once at start. */
export interface Config {
  env: "development" | "production" | "test";
  logLevel: LogLevel;
  host: string;
  gateway: {
    port: number;
    subgraphUrls: Record<SubgraphName, string>;
    rateLimitPerMinute: number;
    /**
     * Measured cost (MAX_QUERY_COST's unit) one caller may spend a minute over all its
     * operations, a batch its sum; its network gets `rateLimitNetworkMultiple` times it.
     */
    rateLimitCostPerMinute: number;
    /**
     * What one client network may spend of each per-caller budget (general, checkout, search,
     * views), as a multiple of it, over all its callers: accounts cost nothing to make, so a
     * per-user budget alone is multiplied by rotating them.
     */
    rateLimitNetworkMultiple: number;
    /**
     * Proxies of yours in front of the gateway: how many (0: none), every connection coming
     * through them; or their addresses and networks, only whose X-Forwarded-For is read and
     * whose entries are skipped to the closest hop that is not one of them.
     */
    trustProxy: ProxyTrust;
    /** Path of the composed supergraph SDL the gateway serves. */
    supergraphPath: string;
    limits: {
      maxDepth: number;
      maxAliases: number;
      maxCost: number;
      maxBatchSize: number;
      maxRequestBytes: number;
      /** Lexical tokens in one query document (bounds parsing and every check after it). */
      maxTokens: number;
      /** Times one response name may be selected in one selection set, fragments included. */
      maxFieldRepeats: number;
    };
    /**
     * Deadline of one call to a subgraph; past it the caller gets SERVICE_UNAVAILABLE. A
     * mutation that passes it may still complete: clients retry under the same idempotency key.
     */
    subgraphTimeoutMs: number;
    /** How long a subgraph call may wait for one of the pool's connections before it is refused OVERLOADED, unsent. */
    subgraphQueueMs: number;
    /** What runs a prepared operation's plan: the gateway's own executor, or @apollo/gateway's. */
    planExecutor: "prepared" | "stock";
    /**
     * What answers an HTTP request of one persisted operation planned ahead: `own`, the
     * gateway's path without Apollo Server's request pipeline (persisted-answers.ts), or
     * `apollo`, Apollo Server's pipeline, as every other request.
     */
    persistedAnswers: "own" | "apollo";
    /**
     * On SIGTERM, how long /readyz answers 503 while the gateway keeps accepting and serving,
     * so load balancers stop sending before it stops accepting (requests already queued then
     * would be reset).
     */
    shutdownDelayMs: number;
    /** Caps on the gateway's sockets, HTTP and WebSocket alike (kernel/src/http/guarded-server.ts). */
    connections: {
      maxConnections: number;
      /** Per client network (IPv4 address, IPv6 /64); not applied to the trusted proxies' sockets. */
      maxConnectionsPerClient: number;
      /** New sockets per client network per minute, refused at accept; exempt as above. */
      newConnectionsPerMinute: number;
    };
    /** Caps on graphql-ws connections and operations (gateway/src/subscriptions/websocket-limits.ts). */
    websocket: {
      maxConnections: number;
      maxConnectionsPerClient: number;
      /** New sockets one caller may open a minute, charged at connection_init (a signed-in user; an anonymous or refused sign-in to its network), beside the cap on those open. */
      connectionsPerMinute: number;
      maxOperationsPerConnection: number;
      maxSubscriptionsPerUser: number;
      /** Bytes of ids, text and variables the live subscriptions of every socket of this process hold together. */
      maxLiveSubscriptionBytes: number;
      maxMessagesPerSecond: number;
      maxBufferedBytes: number;
      /** How often open sockets' sessions are asked again, for a SessionsEnded event this gateway missed. */
      sessionRecheckMs: number;
      /** Origins of pages besides the gateway's own host that may open sockets (WS_ALLOWED_ORIGINS). */
      allowedOrigins: string[];
    };
    /** Pages of other origins that may call the API from a browser, over HTTP and WebSocket (gateway/src/http/cross-origin-pages.ts). */
    crossOrigin: {
      /** CORS_ALLOWED_ORIGINS. */
      allowedOrigins: string[];
      /** Pages served from this machine (localhost, 127.x.x.x, [::1], any port): in development. */
      loopbackPages: boolean;
    };
    /** Separate per-minute budgets for expensive operations, on top of the general one. */
    budgets: { auth: number; checkout: number; search: number; views: number; guestCarts: number };
    /** Image requests (`/images/...`) one client network may send a minute to the gateway's image route. */
    imageRequestsPerMinute: number;
    /**
     * Requests one client network may send a minute that no other budget counts: refused
     * before an operation is admitted (a bad token, an unreadable body), health, metrics,
     * pages and paths that do not exist.
     */
    otherRequestsPerMinute: number;
    /** JSON manifest of persisted operations (sha256 -> query); see schema/operations. */
    persistedOperationsPath?: string;
    /** Refuse any operation that is not in the manifest (production clients). */
    persistedOperationsOnly: boolean;
    /** Read-path speed (gateway/src/performance); figures in BENCHMARKS.md. */
    performance: {
      /** Gateway processes (node:cluster workers) sharing the port when run on its own; 1 = no cluster. */
      workers: number;
      /** Keep-alive connections the gateway holds open to each subgraph. */
      subgraphConnections: number;
      /** How long a public catalog response may be served from the gateway's cache; 0 turns the cache off. */
      responseCacheTtlSeconds: number;
      responseCacheMaxEntries: number;
      /** What the response cache's answers may add up to, as JSON (megabytes). */
      responseCacheMaxMegabytes: number;
      /** After a change event, responses touching that product are not cached for this long. */
      responseCacheSettleMs: number;
      /**
       * Whether answers say what the response cache did (`x-response-cache`). Off in production:
       * a `hit` for a search tells any caller that someone else searched those words within the
       * cache's lifetime.
       */
      responseCacheStatusHeader: boolean;
    };
  };
  subgraphPorts: Record<SubgraphName, number>;
  /**
   * On SIGTERM, how long a subgraph process answers /readyz with 503 while it keeps accepting
   * and serving, so balancers and the gateways stop sending before it stops accepting.
   */
  subgraphShutdownDelayMs: number;
  /**
   * The credentials still at their published defaults outside production (JWT_SECRET,
   * INTERNAL_SECRET, DEV_ADMIN_PASSWORD): while any is, the platform binds loopback only, and in
   * development answers only requests naming loopback (development-exposure.ts).
   */
  publishedCredentials: readonly string[];
  auth: {
    /** HS256 secret for access tokens (development and tests). */
    jwtSecret: string;
    /** RS256 key set for access tokens in production; wins over the secret when set. */
    jwksUrl?: string;
    jwtIssuer: string;
    /**
     * This deployment's name in its access tokens (`aud`): the gateway refuses tokens made for
     * another, so two deployments sharing JWT_SECRET (or a key) do not accept each other's.
     */
    jwtAudience: string;
    /** RS256 private key (PEM) the accounts subgraph signs access tokens with; its public half is served as a JWKS. */
    jwtPrivateKey?: string;
    /** Lifetime of an access token; short, because a token stays valid until it expires. */
    accessTokenTtlSeconds: number;
    /**
     * Longest lifetime (exp - iat) the gateway accepts in an access token, whoever signed it;
     * tokens without exp or iat are refused. At least accessTokenTtlSeconds.
     */
    accessTokenMaxLifetimeSeconds: number;
    /** Lifetime of a refresh token; each refresh replaces it with a new one. */
    refreshTokenTtlSeconds: number;
    /** Shared secret signing the identity the gateway forwards to subgraphs. */
    internalSecret: string;
  };
  relational: { databaseUrl?: string; embeddedDir: string; embeddedPort: number };
  documents: {
    mongoUrl?: string;
    /** Where the embedded catalog keeps its journal; unset: in memory only (tests). */
    embeddedDir?: string;
  };
  search: {
    openSearchUrl?: string;
    elasticsearchUrl?: string;
    indexName: string;
    /** Matches a search counts exactly; past it its total and facets are lower bounds ("10,000+"). */
    exactCountLimit: number;
    /** How often the index's stored order is checked (see search-order.ts); 0 never. */
    reorderCheckMs: number;
  };
  events: {
    kafkaBrokers?: string[];
    clientId: string;
    /** Put before every Kafka topic and consumer group name: deployments sharing a broker stay apart. */
    topicPrefix: string;
    /** Where the one-process mode's embedded bus keeps its log and offsets; unset: in memory only (tests). */
    embeddedDir?: string;
    /**
     * How long the bus may still hand an event over again (Kafka: the topics' retention.ms
     * plus segment.ms); consumers' records of applied events are deleted past it.
     */
    redeliveryWindowMs: number;
  };
  cache: {
    redisUrl?: string;
    /** Where the one-process mode's embedded store keeps the keys that must outlive a restart (ended sessions); unset: in memory only (tests). */
    embeddedDir?: string;
  };
  /** OpenTelemetry traces (kernel/src/observability/tracing.ts); off unless an endpoint is set. */
  tracing: {
    /** OTLP/HTTP collector base URL; spans are sent to `<endpoint>/v1/traces`. */
    otlpEndpoint?: string;
    /** `service.name` of this process's spans. */
    serviceName: string;
  };
  accounts: {
    mysqlUrl?: string;
    /** Where the zero-setup user store keeps its data between runs (development only). */
    embeddedFile?: string;
    /** The account seeded at start in development; never set in test or production. */
    devAdmin?: { email: string; password: string };
    /** Failed log-ins allowed per account and per client address within the window. */
    /**
     * Failed log-ins counted per account from one client network (the low threshold: a guesser's
     * network is locked out of the account, its owner's is not), per account over every network
     * (the ceiling against guessing spread over many networks) and per network over accounts.
     */
    loginThrottle: { failuresPerAccountFromAddress: number; failuresPerAccount: number; failuresPerAddress: number; failuresPerDevice: number; windowSeconds: number };
    /**
     * Password derivations (scrypt) at once in one accounts process, and the places in their line
     * one client network may hold (password-work-gate.ts).
     */
    passwordChecks: { atOnce: number; perNetwork: number };
    /** How long a device proof (what a client that signed in sends with its next log-ins) stays good. */
    deviceProofTtlSeconds: number;
    /** One-time links mailed to account holders: password reset and email verification. */
    mail: {
      passwordResetTtlMinutes: number;
      emailVerificationTtlHours: number;
      /** How long a mailed, unused link answers a new request for a link of its purpose, mailing nothing (0: never). */
      repeatWindowSeconds: number;
      /**
       * Mail requests (reset, resend verification) allowed within the window: per account from
       * one client network, per account over every network, and per client address.
       */
      throttle: { perAccount: number; perAccountAllNetworks: number; perAddress: number; windowSeconds: number };
    };
  };
  inventory: {
    reservationTtlMs: number;
    maxQuantityPerOrder: number;
    /** How often each inventory process looks for reservations past their TTL (sweeping only when one is due). */
    sweepIntervalMs: number;
    /** Reservations expired per sweep transaction. */
    sweepBatchSize: number;
  };
  orders: {
    /** Days after delivery within which a customer may request a return. */
    returnWindowDays: number;
    /** Settled orders placed more than this many days ago go to cold storage (scripts/orders/archive.ts). */
    archiveAfterDays: number;
    /** An order PENDING for longer than this is reconciled from its payment (a lost outcome event). */
    reconcileAfterMs: number;
    /** How often the pending-order reconciler looks. */
    reconcileIntervalMs: number;
    /** Checkouts one orders process works on at once; more wait (see AdmissionGate). */
    checkoutMaxInFlight: number;
    /** How long a checkout waits for a place before it is refused as OVERLOADED, having done nothing. */
    checkoutMaxWaitMs: number;
  };
  /** Most distinct variants one cart holds (quantities per variant follow inventory.maxQuantityPerOrder). */
  cart: {
    maxLines: number;
    /** How long a guest cart (anonymous cart token) lives after its last change before the sweep deletes it. */
    guestCartTtlSeconds: number;
  };
  catalog: {
    seedProducts: number;
    /**
     * Base URL product images are served from (a CDN in front of the products subgraph's
     * `/images` origin route); unset: that route itself, on the running products subgraph.
     */
    imageCdnUrl?: string;
    /** How long a product stays in the hot cache (0 turns the cache off). */
    productCacheTtlMs: number;
    /** How often units sold in paid orders are applied to popularity (listings and search). */
    popularityFlushMs: number;
    /**
     * How listing leaves are written on MongoDB: "text" (read 2.5x faster on FerretDB), or
     * "array", which earlier builds can read, while such builds serve the same catalog.
     */
    listingLeafFormat: "text" | "array";
  };
  /** Object storage of product images (kernel/src/objects). */
  objects: {
    /** An S3-compatible server; unset: a folder (`embeddedDir`). */
    s3?: { url: string; accessKeyId: string; secretAccessKey: string; bucket: string; region: string };
    /** The embedded store's folder; unset: a fresh temporary folder per process (tests). */
    embeddedDir?: string;
    /** Largest image upload accepted, in bytes. */
    maxImageBytes: number;
  };
  payments: {
    /** The payment provider's base URL; unset, the one-process platform starts the simulator. */
    providerUrl?: string;
    /** A provider call that has not answered by then counts as a timeout and is retried. */
    providerTimeoutMs: number;
    /** Provider calls per charge before a transient failure becomes a final FAILED. */
    maxAttempts: number;
    /** First retry delay; each retry doubles it (with full jitter) up to `retryMaxMs`. */
    retryBaseMs: number;
    retryMaxMs: number;
    /** Charges one process runs at once; more PaymentRequested events wait (backpressure). */
    concurrency: number;
    /** A PENDING payment nobody holds a lease on for this long is re-driven by the sweep. */
    recoveryAfterMs: number;
    /** How long a payment the provider does not answer for stays PENDING, retried by the sweep, before it fails. */
    retryForMs: number;
    /** How long after a charge call the provider's charge search may still miss its capture. */
    providerSearchLagMs: number;
    recoveryIntervalMs: number;
    simulator: {
      port: number;
      latencyMs: number;
      /** Shares of charges (0..1) that are declined, fail with a 5xx, or time out. */
      declineRate: number;
      failureRate: number;
      timeoutRate: number;
      seed: number;
    };
  };
  /** Prometheus `/metrics` on every HTTP server (kernel/src/observability). */
  metrics: {
    /** Bearer token `/metrics` requires; unset: open in development and test, off in production. */
    token?: string;
  };
  notifications: {
    /** Port of the notification service's own health and metrics server when it runs alone. */
    port: number;
    /** SMTP server for order emails (production), e.g. smtp://user:pass@mail.example:587. */
    smtpUrl?: string;
    /** Without SMTP: one readable file per message under this folder; without either: logs. */
    dir?: string;
    from: string;
    /** Sends per message before it goes to the dead-letter topic. */
    maxAttempts: number;
    retryBaseMs: number;
    /** Where links in account emails lead: `<base>/reset-password#token=...`, `<base>/verify-email#token=...`. */
    accountLinkBaseUrl: string;
    /** How long a looked-up customer address is reused before accounts is asked again. */
    recipientCacheTtlMs: number;
  };
}

export class ConfigError extends Error {}

/** A PEM RSA private key, checked at start so a bad key fails the start, not the first log-in. */
function rsaPrivateKey(read: EnvReader, name: string): string | undefined {
  // Environment files often hold a PEM on one line with literal "\n" separators.
  const pem = read.optional(name)?.replaceAll("\\n", "\n");
  if (pem === undefined) return undefined;
  try {
    if (createPrivateKey(pem).asymmetricKeyType !== "rsa") read.problems.push(`${name} must be an RSA private key`);
  } catch {
    read.problems.push(`${name} must be a PEM private key`);
  }
  return pem;
}

/** The OTLP/HTTP collector traces go to; unset, tracing is off. */
function otlpEndpoint(read: EnvReader): string | undefined {
  const value = read.optional("OTEL_EXPORTER_OTLP_ENDPOINT");
  if (value === undefined) return undefined;
  try {
    if (["http:", "https:"].includes(new URL(value).protocol)) return value;
  } catch {
    // Reported below, like any other malformed value.
  }
  read.problems.push("OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL");
  return undefined;
}

/** The storefront's base URL for links in account emails; by default the gateway's own `/shop`. */
function accountLinkBaseUrl(read: EnvReader, host: string, gatewayPort: number): string {
  // The default is built from the parsed port: a bad GATEWAY_PORT is its own problem, not this one's.
  const base = read.optional("ACCOUNT_LINK_BASE_URL") ?? `http://${hostInUrl(host)}:${gatewayPort}/shop`;
  try {
    if (!["http:", "https:"].includes(new URL(base).protocol)) read.problems.push("ACCOUNT_LINK_BASE_URL must be an http(s) URL");
  } catch {
    read.problems.push("ACCOUNT_LINK_BASE_URL must be an http(s) URL");
  }
  return base.replace(/\/+$/, "");
}

function objectStorage(read: EnvReader, persistedDir: string | undefined): Config["objects"] {
  const url = read.url("S3_URL", HTTP_SCHEMES, "http://127.0.0.1:9000");
  const bucket = read.string("S3_BUCKET", "storefront-images");
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) read.problems.push("S3_BUCKET must be a bucket name: 3-63 lowercase letters, digits, dots and hyphens");
  const s3 = url
    ? {
        url,
        accessKeyId: read.string("S3_ACCESS_KEY_ID", ""),
        secretAccessKey: read.string("S3_SECRET_ACCESS_KEY", ""),
        bucket,
        region: read.string("S3_REGION", "us-east-1"),
      }
    : undefined;
  if (s3 && (!s3.accessKeyId || !s3.secretAccessKey)) read.problems.push("S3_URL needs S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY");
  return {
    s3,
    embeddedDir: persistedDir === undefined ? undefined : `${persistedDir}/objects`,
    maxImageBytes: read.int("IMAGE_MAX_UPLOAD_BYTES", 10_000_000, { min: 1_000, max: 100_000_000 }),
  };
}

const HTTP_SCHEMES = ["http:", "https:"] as const;

/** `host:port` entries separated by commas; unset: the in-process bus. */
function kafkaBrokers(read: EnvReader): string[] | undefined {
  const raw = read.optional("KAFKA_BROKERS");
  if (raw === undefined) return undefined;
  const brokers = raw.split(",").map((broker) => broker.trim());
  const valid = (broker: string) => /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(broker) && Number(broker.slice(broker.lastIndexOf(":") + 1)) <= 65535;
  // The value is not repeated: an entry written as a URL may carry a user and password.
  const wrong = brokers.findIndex((broker) => !valid(broker));
  if (wrong >= 0) read.problems.push(`KAFKA_BROKERS must be host:port entries separated by commas, such as 127.0.0.1:9092,127.0.0.1:9093 (entry ${wrong + 1} of ${brokers.length} is not)`);
  return brokers;
}

/** The address every server binds to: an IP address or a host name, never a URL or with a port. */
function hostSetting(read: EnvReader): string {
  const host = read.string("HOST", "127.0.0.1");
  let valid = false;
  try {
    valid = isIP(host) !== 0 || new URL(`http://${hostInUrl(host)}/`).hostname.toLowerCase() === host.toLowerCase();
  } catch {
    // Not a host: said below.
  }
  if (valid) return host;
  read.problems.push(`HOST must be an IP address or a host name such as 127.0.0.1 or 0.0.0.0 (got "${host}")`);
  // The URLs built from it below are then not this problem's to report again.
  return "127.0.0.1";
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const read = new EnvReader(env);
  const appEnv = read.oneOf("APP_ENV", ["development", "production", "test"] as const, "development");
  const host = hostSetting(read);
  const subgraphPorts = Object.fromEntries(
    SUBGRAPH_NAMES.map((name) => [name, read.int(`${name.toUpperCase()}_PORT`, DEFAULT_PORTS[name], { max: 65535 })]),
  ) as Record<SubgraphName, number>;
  const subgraphShutdownDelayMs = read.int("SUBGRAPH_SHUTDOWN_DELAY_MS", 0, { min: 0, max: 120_000 });
  const subgraphUrls = Object.fromEntries(
    SUBGRAPH_NAMES.map((name) => [
      name,
      read.urlList(`${name.toUpperCase()}_URL`, `http://${hostInUrl(host)}:${subgraphPorts[name]}/graphql`, HTTP_SCHEMES, `http://${name}:4000/graphql`),
    ]),
  ) as Record<SubgraphName, string>;

  // The embedded catalog and event log persist in development (`npm start`), and wherever a
  // directory is named. Tests and production runs without one stay in memory: a shared
  // default would carry one run's data into the next, and production keeps its catalog in MongoDB.
  const persistedDir = read.optional("EMBEDDED_DATA_DIR") ?? (appEnv === "development" ? ".data" : undefined);

  const jwtSecret = read.string("JWT_SECRET", DEV_SECRET);
  const internalSecret = read.string("INTERNAL_SECRET", DEV_SECRET + "-internal");
  if (appEnv === "production") {
    if (jwtSecret === DEV_SECRET && !read.optional("JWKS_URL") && !read.optional("JWT_PRIVATE_KEY")) {
      read.problems.push("JWT_SECRET, JWKS_URL or JWT_PRIVATE_KEY must be set in production");
    }
    // Production has no default account: a seeded admin with known credentials is a back door.
    if (read.optional("DEV_ADMIN_EMAIL") || read.optional("DEV_ADMIN_PASSWORD")) read.problems.push("DEV_ADMIN_EMAIL and DEV_ADMIN_PASSWORD are for development only");
    if (internalSecret.startsWith(DEV_SECRET)) read.problems.push("INTERNAL_SECRET must be set in production");
    // A default would be every deployment's: staging and production sharing a secret would take
    // each other's tokens again.
    if (!read.optional("JWT_AUDIENCE")) read.problems.push("JWT_AUDIENCE must be set in production: a name of this deployment (storefront-production), so another deployment's access tokens are refused");
  }
  // Outside production tokens for made-up users are accepted, and development seeds an admin.
  let published: string[] = [];
  if (appEnv !== "production") {
    published = [
      jwtSecret === DEV_SECRET && !read.optional("JWKS_URL") && !read.optional("JWT_PRIVATE_KEY") ? "JWT_SECRET" : undefined,
      internalSecret.startsWith(DEV_SECRET) ? "INTERNAL_SECRET" : undefined,
      appEnv === "development" && !read.optional("DEV_ADMIN_PASSWORD") ? "DEV_ADMIN_PASSWORD" : undefined,
    ].filter((name): name is string => name !== undefined);
    const exposed = developmentExposureProblem(host, published);
    if (exposed) read.problems.push(exposed);
  }
  const brokers = kafkaBrokers(read);
  const accessTokenTtlSeconds = read.int("ACCESS_TOKEN_TTL_SECONDS", 900, { min: 30, max: 86_400 });
  // Development keeps day-long tokens for the explorer; elsewhere an hour, or the TTL if longer.
  const accessTokenMaxLifetimeSeconds = read.int("ACCESS_TOKEN_MAX_LIFETIME_SECONDS", appEnv === "development" ? 86_400 : Math.max(3_600, accessTokenTtlSeconds), { min: 30, max: 86_400 });
  if (accessTokenMaxLifetimeSeconds < accessTokenTtlSeconds) read.problems.push("ACCESS_TOKEN_MAX_LIFETIME_SECONDS must be at least ACCESS_TOKEN_TTL_SECONDS, or the gateway refuses the tokens accounts issues");

  const gatewayPort = read.int("GATEWAY_PORT", 4000, { max: 65535 });
  const config: Config = {
    env: appEnv,
    publishedCredentials: published,
    logLevel: read.oneOf("LOG_LEVEL", ["debug", "info", "warn", "error", "silent"] as const, appEnv === "test" ? "silent" : "info"),
    host,
    gateway: {
      port: gatewayPort,
      subgraphUrls,
      rateLimitPerMinute: read.int("RATE_LIMIT_PER_MINUTE", 600, { min: 1 }),
      rateLimitCostPerMinute: read.int("RATE_LIMIT_COST_PER_MINUTE", 150_000, { min: 1 }),
      rateLimitNetworkMultiple: read.int("RATE_LIMIT_NETWORK_MULTIPLE", 10, { min: 1 }),
      trustProxy: proxyTrust(read),
      supergraphPath: read.string("SUPERGRAPH_PATH", "schema/supergraph.graphql"),
      limits: {
        maxDepth: read.int("MAX_QUERY_DEPTH", 12, { min: 2 }),
        maxAliases: read.int("MAX_QUERY_ALIASES", 30, { min: 0 }),
        maxCost: read.int("MAX_QUERY_COST", 10_000, { min: 1 }),
        maxBatchSize: read.int("MAX_BATCH_SIZE", 10, { min: 1 }),
        maxRequestBytes: read.int("MAX_REQUEST_BYTES", 100_000, { min: 1024 }),
        maxTokens: read.int("MAX_QUERY_TOKENS", 1_000, { min: 100 }),
        maxFieldRepeats: read.int("MAX_FIELD_REPEATS", 20, { min: 1 }),
      },
      subgraphTimeoutMs: read.int("GATEWAY_SUBGRAPH_TIMEOUT_MS", 10_000, { min: 100, max: 300_000 }),
      subgraphQueueMs: read.int("GATEWAY_SUBGRAPH_QUEUE_MS", 1_000, { min: 0, max: 300_000 }),
      planExecutor: read.oneOf("GATEWAY_PLAN_EXECUTOR", ["prepared", "stock"] as const, "prepared"),
      persistedAnswers: read.oneOf("GATEWAY_PERSISTED_ANSWERS", ["own", "apollo"] as const, "own"),
      shutdownDelayMs: read.int("GATEWAY_SHUTDOWN_DELAY_MS", 0, { min: 0, max: 120_000 }),
      connections: {
        maxConnections: read.int("GATEWAY_MAX_CONNECTIONS", defaultMaxConnections(), { min: 1 }),
        maxConnectionsPerClient: read.int("GATEWAY_MAX_CONNECTIONS_PER_CLIENT", 256, { min: 1 }),
        newConnectionsPerMinute: read.int("GATEWAY_NEW_CONNECTIONS_PER_MINUTE", 1_200, { min: 1 }),
      },
      websocket: {
        maxConnections: read.int("WS_MAX_CONNECTIONS", 10_000, { min: 1 }),
        maxConnectionsPerClient: read.int("WS_MAX_CONNECTIONS_PER_CLIENT", 16, { min: 1 }),
        connectionsPerMinute: read.int("WS_CONNECTIONS_PER_MINUTE", 120, { min: 1 }),
        maxOperationsPerConnection: read.int("WS_MAX_OPERATIONS_PER_CONNECTION", 16, { min: 1 }),
        maxSubscriptionsPerUser: read.int("WS_MAX_SUBSCRIPTIONS_PER_USER", 32, { min: 1 }),
        // At least what one subscription may weigh (MAX_LIVE_SUBSCRIPTION_BYTES), so one always fits.
        maxLiveSubscriptionBytes: read.int("WS_MAX_LIVE_SUBSCRIPTION_BYTES", 33_554_432, { min: 65_536 }),
        maxMessagesPerSecond: read.int("WS_MAX_MESSAGES_PER_SECOND", 50, { min: 1 }),
        maxBufferedBytes: read.int("WS_MAX_BUFFERED_BYTES", 1_048_576, { min: 1_024 }),
        sessionRecheckMs: read.int("WS_SESSION_RECHECK_MS", 30_000, { min: 100 }),
        allowedOrigins: allowedOrigins("WS_ALLOWED_ORIGINS", read.optional("WS_ALLOWED_ORIGINS"), read.problems),
      },
      crossOrigin: {
        allowedOrigins: allowedOrigins("CORS_ALLOWED_ORIGINS", read.optional("CORS_ALLOWED_ORIGINS"), read.problems),
        loopbackPages: appEnv === "development",
      },
      budgets: {
        auth: read.int("RATE_LIMIT_AUTH_PER_MINUTE", 10, { min: 1 }),
        checkout: read.int("RATE_LIMIT_CHECKOUT_PER_MINUTE", 30, { min: 1 }),
        search: read.int("RATE_LIMIT_SEARCH_PER_MINUTE", 300, { min: 1 }),
        views: read.int("RATE_LIMIT_VIEWS_PER_MINUTE", 120, { min: 1 }),
        guestCarts: read.int("RATE_LIMIT_GUEST_CARTS_PER_MINUTE", 30, { min: 1 }),
      },
      imageRequestsPerMinute: read.int("RATE_LIMIT_IMAGES_PER_MINUTE", 6_000, { min: 1 }),
      otherRequestsPerMinute: read.int("RATE_LIMIT_OTHER_REQUESTS_PER_MINUTE", 1_200, { min: 1 }),
      persistedOperationsPath: read.optional("PERSISTED_OPERATIONS_PATH"),
      persistedOperationsOnly: read.bool("PERSISTED_OPERATIONS_ONLY", false),
      performance: {
        workers: read.int("GATEWAY_WORKERS", 1, { min: 1, max: 64 }),
        subgraphConnections: read.int("GATEWAY_SUBGRAPH_CONNECTIONS", 32, { min: 1, max: 1_024 }),
        // Off in tests: other suites read their own writes through the gateway at once, while
        // the cache is consistent only once the change event has arrived (milliseconds later).
        responseCacheTtlSeconds: read.int("RESPONSE_CACHE_TTL_SECONDS", appEnv === "test" ? 0 : 30, { min: 0, max: 86_400 }),
        responseCacheMaxEntries: read.int("RESPONSE_CACHE_MAX_ENTRIES", 10_000, { min: 1 }),
        responseCacheMaxMegabytes: read.int("RESPONSE_CACHE_MAX_MB", 16, { min: 1, max: 16_384 }),
        responseCacheSettleMs: read.int("RESPONSE_CACHE_SETTLE_MS", 1_000, { min: 0, max: 60_000 }),
        responseCacheStatusHeader: read.bool("RESPONSE_CACHE_STATUS_HEADER", appEnv !== "production"),
      },
    },
    subgraphPorts,
    subgraphShutdownDelayMs,
    auth: {
      jwtSecret,
      jwksUrl: read.url("JWKS_URL", HTTP_SCHEMES, "http://accounts:4007/.well-known/jwks.json"),
      jwtIssuer: read.string("JWT_ISSUER", "storefront"),
      jwtAudience: read.string("JWT_AUDIENCE", DEFAULT_TOKEN_AUDIENCE),
      jwtPrivateKey: rsaPrivateKey(read, "JWT_PRIVATE_KEY"),
      accessTokenTtlSeconds,
      accessTokenMaxLifetimeSeconds,
      refreshTokenTtlSeconds: read.int("REFRESH_TOKEN_TTL_SECONDS", 30 * 86_400, { min: 60 }),
      internalSecret,
    },
    relational: {
      databaseUrl: read.url("DATABASE_URL", ["postgresql:", "postgres:"], "postgresql://user:password@127.0.0.1:5432/storefront"),
      embeddedDir: read.string("EMBEDDED_DATA_DIR", ".data") + "/postgres",
      embeddedPort: read.int("EMBEDDED_PG_PORT", 54329, { min: 1, max: 65535 }),
    },
    documents: { mongoUrl: read.url("MONGO_URL", ["mongodb:", "mongodb+srv:"], "mongodb://127.0.0.1:27017/storefront"), embeddedDir: persistedDir && `${persistedDir}/documents` },
    search: {
      openSearchUrl: read.url("OPENSEARCH_URL", HTTP_SCHEMES, "http://127.0.0.1:9200"),
      elasticsearchUrl: read.url("ELASTICSEARCH_URL", HTTP_SCHEMES, "http://127.0.0.1:9200"),
      indexName: read.string("SEARCH_INDEX", "products"),
      // At most 10,000: the exact-count flags weigh nothing in the cost measure, so a count asked
      // through them alone must stay cheap (about 5 ms of engine CPU at 10,000 matches).
      exactCountLimit: read.int("SEARCH_EXACT_COUNT_LIMIT", 1_000, { min: 1, max: 10_000 }),
      reorderCheckMs: read.int("SEARCH_REORDER_CHECK_SECONDS", 600, { min: 0 }) * 1000,
    },
    events: {
      kafkaBrokers: brokers,
      clientId: read.string("KAFKA_CLIENT_ID", "storefront"),
      topicPrefix: read.string("KAFKA_TOPIC_PREFIX", ""),
      embeddedDir: persistedDir && `${persistedDir}/events`,
      redeliveryWindowMs: read.int("EVENT_REDELIVERY_WINDOW_HOURS", 336, { min: 24, max: 87_600 }) * 3_600_000,
    },
    cache: { redisUrl: read.url("REDIS_URL", ["redis:", "rediss:"], "redis://127.0.0.1:6379"), embeddedDir: persistedDir && `${persistedDir}/sessions` },
    tracing: { otlpEndpoint: otlpEndpoint(read), serviceName: read.string("OTEL_SERVICE_NAME", "storefront") },
    accounts: {
      mysqlUrl: read.url("MYSQL_URL", ["mysql:"], "mysql://user:password@127.0.0.1:3306/accounts"),
      embeddedFile: appEnv === "development" ? read.string("EMBEDDED_DATA_DIR", ".data") + "/accounts/users.json" : undefined,
      devAdmin:
        appEnv === "development"
          ? { email: read.string("DEV_ADMIN_EMAIL", "admin@storefront.test"), password: read.string("DEV_ADMIN_PASSWORD", "admin-password-dev-only") }
          : undefined,
      loginThrottle: {
        failuresPerAccountFromAddress: read.int("LOGIN_FAILURES_PER_ACCOUNT", 5, { min: 1 }),
        failuresPerAccount: read.int("LOGIN_FAILURES_PER_ACCOUNT_ALL_NETWORKS", 50, { min: 1 }),
        failuresPerAddress: read.int("LOGIN_FAILURES_PER_ADDRESS", 50, { min: 1 }),
        failuresPerDevice: read.int("LOGIN_FAILURES_PER_DEVICE", 10, { min: 1 }),
        windowSeconds: read.int("LOGIN_THROTTLE_WINDOW_SECONDS", 900, { min: 1 }),
      },
      passwordChecks: {
        atOnce: read.int("PASSWORD_CHECKS_AT_ONCE", Math.max(1, availableParallelism() - 1), { min: 1, max: 64 }),
        perNetwork: read.int("PASSWORD_CHECKS_PER_NETWORK", 8, { min: 1, max: 1_000 }),
      },
      deviceProofTtlSeconds: read.int("LOGIN_DEVICE_PROOF_TTL_DAYS", 90, { min: 1, max: 400 }) * 86_400,
      mail: {
        passwordResetTtlMinutes: read.int("PASSWORD_RESET_TTL_MINUTES", 30, { min: 1, max: 24 * 60 }),
        emailVerificationTtlHours: read.int("EMAIL_VERIFICATION_TTL_HOURS", 48, { min: 1, max: 30 * 24 }),
        repeatWindowSeconds: read.int("ACCOUNT_MAIL_REPEAT_WINDOW_SECONDS", 60, { min: 0, max: 3_600 }),
        throttle: {
          perAccount: read.int("ACCOUNT_MAIL_PER_ACCOUNT", 5, { min: 1 }),
          perAccountAllNetworks: read.int("ACCOUNT_MAIL_PER_ACCOUNT_ALL_NETWORKS", 20, { min: 1 }),
          perAddress: read.int("ACCOUNT_MAIL_PER_ADDRESS", 30, { min: 1 }),
          windowSeconds: read.int("ACCOUNT_MAIL_WINDOW_SECONDS", 3_600, { min: 1 }),
        },
      },
    },
    inventory: {
      reservationTtlMs: read.int("RESERVATION_TTL_MS", 15 * 60_000, { min: 1000 }),
      maxQuantityPerOrder: read.int("MAX_QUANTITY_PER_ORDER", 10, { min: 1 }),
      sweepIntervalMs: read.int("RESERVATION_SWEEP_INTERVAL_MS", 5_000, { min: 10 }),
      sweepBatchSize: read.int("RESERVATION_SWEEP_BATCH", 200, { min: 1, max: 10_000 }),
    },
    orders: {
      returnWindowDays: read.int("ORDER_RETURN_WINDOW_DAYS", 30, { min: 0, max: 3650 }),
      archiveAfterDays: read.int("ORDER_ARCHIVE_AFTER_DAYS", 730, { min: 1, max: 36_500 }),
      reconcileAfterMs: read.int("ORDER_RECONCILE_AFTER_MS", 120_000, { min: 1_000 }),
      reconcileIntervalMs: read.int("ORDER_RECONCILE_INTERVAL_MS", 30_000, { min: 100 }),
      checkoutMaxInFlight: read.int("CHECKOUT_MAX_IN_FLIGHT", 16, { min: 1, max: 10_000 }),
      checkoutMaxWaitMs: read.int("CHECKOUT_MAX_WAIT_MS", 500, { min: 0, max: 60_000 }),
    },
    cart: {
      maxLines: read.int("CART_MAX_LINES", MAX_CART_LINES, { min: 1, max: MAX_CART_LINES }),
      guestCartTtlSeconds: read.int("GUEST_CART_TTL_SECONDS", 30 * 86_400, { min: 60, max: 365 * 86_400 }),
    },
    catalog: {
      seedProducts: read.int("SEED_PRODUCTS", 600, { min: 0 }),
      imageCdnUrl: read.url("IMAGE_CDN_URL", HTTP_SCHEMES, "https://images.shop.example")?.replace(/\/+$/, ""),
      productCacheTtlMs: read.int("PRODUCT_CACHE_TTL_MS", 300_000, { min: 0 }),
      popularityFlushMs: read.int("POPULARITY_FLUSH_MS", 2_000, { min: 100, max: 86_400_000 }),
      // "array" while processes older than the text leaves still serve the same catalog.
      listingLeafFormat: read.oneOf("LISTING_LEAF_FORMAT", ["text", "array"] as const, "text"),
    },
    objects: objectStorage(read, persistedDir),
    payments: {
      providerUrl: read.url("PAYMENT_PROVIDER_URL", HTTP_SCHEMES, "https://payments.provider.example"),
      providerTimeoutMs: read.int("PAYMENT_PROVIDER_TIMEOUT_MS", 5_000, { min: 10 }),
      maxAttempts: read.int("PAYMENT_MAX_ATTEMPTS", 4, { min: 1, max: 20 }),
      retryBaseMs: read.int("PAYMENT_RETRY_BASE_MS", 200, { min: 1 }),
      retryMaxMs: read.int("PAYMENT_RETRY_MAX_MS", 5_000, { min: 1 }),
      concurrency: read.int("PAYMENT_CONCURRENCY", 32, { min: 1, max: 1_000 }),
      recoveryAfterMs: read.int("PAYMENT_RECOVERY_AFTER_MS", 30_000, { min: 100 }),
      retryForMs: read.int("PAYMENT_RETRY_FOR_MS", 600_000, { min: 0 }),
      providerSearchLagMs: read.int("PAYMENT_PROVIDER_SEARCH_LAG_MS", 60_000, { min: 0 }),
      recoveryIntervalMs: read.int("PAYMENT_RECOVERY_INTERVAL_MS", 10_000, { min: 50 }),
      simulator: {
        port: read.int("PAYMENT_SIMULATOR_PORT", 4010, { max: 65535 }),
        latencyMs: read.int("PAYMENT_SIMULATOR_LATENCY_MS", 20, { max: 60_000 }),
        // Percentages: the environment reader parses integers only, and whole percent is enough.
        declineRate: read.int("PAYMENT_SIMULATOR_DECLINE_PERCENT", 0, { max: 100 }) / 100,
        failureRate: read.int("PAYMENT_SIMULATOR_FAILURE_PERCENT", 0, { max: 100 }) / 100,
        timeoutRate: read.int("PAYMENT_SIMULATOR_TIMEOUT_PERCENT", 0, { max: 100 }) / 100,
        seed: read.int("PAYMENT_SIMULATOR_SEED", 1),
      },
    },
    metrics: { token: read.optional("METRICS_TOKEN") },
    notifications: {
      port: read.int("NOTIFICATIONS_PORT", 4011, { max: 65535 }),
      smtpUrl: read.url("SMTP_URL", ["smtp:", "smtps:"], "smtp://127.0.0.1:1025"),
      // Tests default to logs so that no run leaves files behind; development to a folder.
      dir: read.optional("NOTIFICATIONS_DIR") ?? (appEnv === "development" ? read.string("EMBEDDED_DATA_DIR", ".data") + "/notifications" : undefined),
      from: read.string("NOTIFICATIONS_FROM", "Storefront <orders@storefront.example>"),
      maxAttempts: read.int("NOTIFICATION_MAX_ATTEMPTS", 5, { min: 1, max: 50 }),
      retryBaseMs: read.int("NOTIFICATION_RETRY_BASE_MS", 500, { min: 1 }),
      accountLinkBaseUrl: accountLinkBaseUrl(read, host, gatewayPort),
      recipientCacheTtlMs: read.int("NOTIFICATION_RECIPIENT_CACHE_MS", 60_000, { min: 0, max: 86_400_000 }),
    },
  };
  // Kafka's own rule for topic names, which the prefix becomes part of.
  if (!/^[A-Za-z0-9._-]{0,100}$/.test(config.events.topicPrefix)) read.problems.push("KAFKA_TOPIC_PREFIX may hold only letters, digits, '.', '_' and '-' (at most 100)");
  // A guessable token would expose internals as surely as none; 24 characters is a random one's least.
  if (config.metrics.token !== undefined && config.metrics.token.length < 24) read.problems.push("METRICS_TOKEN must be at least 24 characters");
  // A payment still being retried after its order's hold expired is charged for units that may
  // be sold to someone else meanwhile, then refunded: the retrying stops while the hold lives,
  // counting the last drive's calls (it may start just before the window closes) and the
  // sweep's wait before it.
  const { retryForMs, recoveryAfterMs, maxAttempts, providerTimeoutMs, retryMaxMs } = config.payments;
  const lastCallAt = retryForMs + recoveryAfterMs + maxAttempts * (providerTimeoutMs + retryMaxMs);
  if (lastCallAt >= config.inventory.reservationTtlMs) {
    read.problems.push(
      `PAYMENT_RETRY_FOR_MS (${retryForMs}) plus PAYMENT_RECOVERY_AFTER_MS and one drive's calls (PAYMENT_MAX_ATTEMPTS x (PAYMENT_PROVIDER_TIMEOUT_MS + PAYMENT_RETRY_MAX_MS)) come to ${lastCallAt} ms: it must be shorter than RESERVATION_TTL_MS (${config.inventory.reservationTtlMs}), the life of an order's stock hold`,
    );
  }
  // A budget smaller than one admitted operation would refuse that operation every minute.
  if (config.gateway.rateLimitCostPerMinute < config.gateway.limits.maxCost) {
    read.problems.push(`RATE_LIMIT_COST_PER_MINUTE (${config.gateway.rateLimitCostPerMinute}) must be at least MAX_QUERY_COST (${config.gateway.limits.maxCost}): one admitted operation must fit a minute's budget`);
  }
  if (read.problems.length) throw new ConfigError("Invalid configuration:\n- " + read.problems.join("\n- "));
  return config;
}

/**
 * TRUST_PROXY: `true`/`false` and a count as before (every connection is taken as coming through
 * that many proxies), or the proxies' addresses and CIDR networks, comma-separated.
 */
function proxyTrust(read: EnvReader): ProxyTrust {
  const raw = read.optional("TRUST_PROXY")?.trim() ?? "";
  if (raw === "" || ["false", "no"].includes(raw)) return 0;
  if (["true", "yes"].includes(raw)) return 1;
  // A bare count; an address always has a dot or a colon.
  if (/^\d+$/.test(raw)) return read.int("TRUST_PROXY", 0, { min: 0, max: 10 });
  const { proxies, problems } = parseTrustedProxies(raw);
  for (const entry of problems) read.problems.push(`TRUST_PROXY: ${entry} is neither an address nor a CIDR network such as 10.0.0.0/8`);
  return proxies;
}

/**
 * `WS_ALLOWED_ORIGINS`, `CORS_ALLOWED_ORIGINS`: comma-separated origins (`https://shop.example.com`)
 * whose pages may use the API beside the gateway's own host; each normalised as a browser sends it.
 */
function allowedOrigins(variable: string, value: string | undefined, problems: string[]): string[] {
  if (!value?.trim()) return [];
  return value.split(",").flatMap((entry) => {
    const text = entry.trim();
    if (!text) return [];
    let url: URL | undefined;
    try {
      url = new URL(text);
    } catch {
      url = undefined;
    }
    // An origin names a scheme, a host and a port, nothing more.
    if (url && (url.protocol === "http:" || url.protocol === "https:") && url.pathname === "/" && !url.search && !url.hash && !url.username) return [url.origin];
    problems.push(`${variable}: ${text} is not an origin such as https://shop.example.com`);
    return [];
  });
}
