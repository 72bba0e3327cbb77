import { httpOrigin, SUBGRAPH_NAMES, type SubgraphName } from "#kernel";

/** Every kind of process the fleet runs. */
export const FLEET_KINDS = ["gateway", ...SUBGRAPH_NAMES, "payment-simulator", "notifications"] as const;
export type FleetKind = (typeof FLEET_KINDS)[number];

/** Where each kind's composition root lives: the same `main.ts` a production deployment runs. */
const ENTRY: Record<FleetKind, string> = {
  gateway: "gateway/src/main.ts",
  ...(Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, `subgraphs/${name}/src/main.ts`])) as Record<SubgraphName, string>),
  "payment-simulator": "services/payment-simulator/src/main.ts",
  notifications: "services/notifications/src/main.ts",
};

/** Engines every replica must share: state one process keeps in memory would differ per replica. */
export const FLEET_ENGINES = ["DATABASE_URL", "KAFKA_BROKERS", "REDIS_URL", "MONGO_URL"] as const;

export interface FleetOptions {
  /** Processes per kind; a kind at 0 is not started. */
  replicas: Record<FleetKind, number>;
  /** The first port of the range; the processes take the next ones in FLEET_KINDS order. */
  basePort: number;
  host: string;
}

/** One process of the fleet, as the supervisor starts it. */
export interface FleetProcess {
  /** `orders-2`: kind and replica number, in logs and the banner. */
  name: string;
  kind: FleetKind;
  entry: string;
  /** Its HTTP port (`/healthz`, `/metrics`, and for all but the notification service its API). */
  port: number;
  /** Environment on top of the fleet's: its own port, the others' URLs. */
  env: Record<string, string>;
}

export interface FleetPlan {
  processes: FleetProcess[];
  gatewayUrls: string[];
  /** Subgraph name -> its replicas' URLs, comma separated: what gateways and subgraphs route by. */
  subgraphUrls: Record<SubgraphName, string>;
  simulatorUrl?: string;
}

export const DEFAULT_FLEET: FleetOptions = {
  replicas: { ...(Object.fromEntries(FLEET_KINDS.map((kind) => [kind, 2])) as Record<FleetKind, number>), "payment-simulator": 1, notifications: 1 },
  basePort: 4100,
  host: "127.0.0.1",
};

/**
 * Reads the fleet's options from its command line (`--replicas 3`, `--gateways 2`,
 * `--replicas-orders 4`, `--base-port 4100`), with FLEET_REPLICAS, FLEET_GATEWAYS,
 * FLEET_REPLICAS_<KIND> (e.g. FLEET_REPLICAS_PAYMENT_SIMULATOR) and FLEET_BASE_PORT as defaults;
 * the command line wins. Returns the problems instead of options when any value is wrong.
 */
export function readFleetOptions(argv: readonly string[], env: Record<string, string | undefined>): { options: FleetOptions } | { problems: string[] } {
  const problems: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match) {
      problems.push(`unknown argument ${JSON.stringify(arg)}`);
      continue;
    }
    const value = match[2] ?? argv[++i];
    if (value === undefined) problems.push(`--${match[1]} needs a value`);
    else flags.set(match[1]!, value);
  }
  const count = (flag: string, variable: string, fallback: number, max: number): number => {
    const fromFlag = flags.has(flag);
    const raw = flags.get(flag) ?? env[variable];
    flags.delete(flag);
    if (raw === undefined || raw === "") return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0 || value > max) {
      problems.push(`${fromFlag ? `--${flag}` : variable} must be a whole number from 0 to ${max} (got ${JSON.stringify(raw)})`);
      return fallback;
    }
    return value;
  };
  const everyReplica = count("replicas", "FLEET_REPLICAS", 2, 16);
  const replicas = {} as Record<FleetKind, number>;
  for (const kind of FLEET_KINDS) {
    const single = kind === "payment-simulator" || kind === "notifications";
    const fallback = kind === "gateway" ? count("gateways", "FLEET_GATEWAYS", 2, 16) : single ? 1 : everyReplica;
    replicas[kind] = count(`replicas-${kind}`, `FLEET_REPLICAS_${kind.toUpperCase().replaceAll("-", "_")}`, fallback, single ? 1 : 16);
  }
  for (const required of ["gateway", ...SUBGRAPH_NAMES] as const) {
    if (replicas[required] === 0) problems.push(`the fleet needs at least one ${required}`);
  }
  const basePort = count("base-port", "FLEET_BASE_PORT", DEFAULT_FLEET.basePort, 65_000);
  const host = flags.get("host") ?? env.HOST ?? DEFAULT_FLEET.host;
  flags.delete("host");
  for (const unknown of flags.keys()) problems.push(`unknown option --${unknown}`);
  if (basePort < 1024 && basePort !== 0) problems.push("--base-port must be at least 1024");
  return problems.length > 0 ? { problems } : { options: { replicas, basePort, host } };
}

/** Engines the fleet needs that the environment does not name; MYSQL_URL once accounts has replicas. */
export function missingEngines(options: FleetOptions, env: Record<string, string | undefined>): string[] {
  const needed: string[] = [...FLEET_ENGINES];
  if (options.replicas.accounts > 1) needed.push("MYSQL_URL");
  return needed.filter((name) => !env[name]);
}

/** Ports in FLEET_KINDS order from the base port, and every process's environment. */
export function planFleet(options: FleetOptions): FleetPlan {
  let nextPort = options.basePort;
  const slots = FLEET_KINDS.flatMap((kind) =>
    Array.from({ length: options.replicas[kind] }, (_, i) => ({ kind, index: i + 1, port: nextPort++ })),
  );
  const url = (port: number, path = "/graphql") => `${httpOrigin(options.host, port)}${path}`;
  const subgraphUrls = Object.fromEntries(
    SUBGRAPH_NAMES.map((name) => [
      name,
      slots
        .filter((slot) => slot.kind === name)
        .map((slot) => url(slot.port))
        .join(","),
    ]),
  ) as Record<SubgraphName, string>;
  const gatewayPorts = slots.filter((slot) => slot.kind === "gateway").map((slot) => slot.port);
  const simulator = slots.find((slot) => slot.kind === "payment-simulator");
  const simulatorUrl = simulator ? url(simulator.port, "") : undefined;
  const shared: Record<string, string> = {
    HOST: options.host,
    ...Object.fromEntries(SUBGRAPH_NAMES.map((name) => [`${name.toUpperCase()}_URL`, subgraphUrls[name]])),
    // Image URLs and account-mail links name a gateway; any of them serves the same.
    GATEWAY_PORT: String(gatewayPorts[0]),
    ...(simulatorUrl ? { PAYMENT_PROVIDER_URL: simulatorUrl } : {}),
  };
  const processes = slots.map(({ kind, index, port }): FleetProcess => {
    const own: Record<string, string> = {};
    if (kind === "gateway") own.GATEWAY_PORT = String(port);
    else if (kind === "payment-simulator") own.PAYMENT_SIMULATOR_PORT = String(port);
    else own[`${kind.toUpperCase()}_PORT`] = String(port);
    const name = `${kind}-${index}`;
    // Traces name the kind of process, logs and Kafka client ids the replica.
    return { name, kind, entry: ENTRY[kind], port, env: { ...shared, ...own, KAFKA_CLIENT_ID: `storefront-${name}`, OTEL_SERVICE_NAME: `storefront-${kind}` } };
  });
  return { processes, gatewayUrls: gatewayPorts.map((port) => url(port)), subgraphUrls, simulatorUrl };
}
