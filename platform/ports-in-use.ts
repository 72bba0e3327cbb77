import { createServer } from "node:net";
import { SUBGRAPH_NAMES, type Config } from "#kernel";

/** A port `npm start` binds, and the variable that moves it. */
export interface ListeningPort {
  port: number;
  variable: string;
}

/** Every port the one-process mode listens on with this configuration, the gateway's first. */
export function portsToListenOn(config: Config): ListeningPort[] {
  return [
    { port: config.gateway.port, variable: "GATEWAY_PORT" },
    ...SUBGRAPH_NAMES.map((name) => ({ port: config.subgraphPorts[name], variable: `${name.toUpperCase()}_PORT` })),
    ...(config.payments.providerUrl ? [] : [{ port: config.payments.simulator.port, variable: "PAYMENT_SIMULATOR_PORT" }]),
    ...(config.relational.databaseUrl ? [] : [{ port: config.relational.embeddedPort, variable: "EMBEDDED_PG_PORT" }]),
  ];
}

function isInUse(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "EADDRINUSE"));
    probe.listen(port, host, () => probe.close(() => resolve(false)));
  });
}

/**
 * The first of `ports` something already listens on, checked before anything starts: a second
 * `npm start` then stops at once with one line, instead of failing half-way through with a
 * raw EADDRINUSE from whichever server happened to bind first.
 */
export async function findPortInUse(ports: ListeningPort[], host: string): Promise<ListeningPort | undefined> {
  for (const candidate of ports) if (await isInUse(candidate.port, host)) return candidate;
  return undefined;
}

export function portInUseMessage({ port, variable }: ListeningPort, host: string): string {
  return `Port ${port} on ${host} is already in use (is another npm start running?); stop it, or set ${variable} to a free port, for example ${variable}=${port + 100} npm start`;
}

/** Whether a start failed because a server could not bind (another process took the port). */
export function isAddressInUse(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === "EADDRINUSE";
}

/** One line for a start that failed for another reason: what failed, without a stack trace. */
export function startFailureMessage(error: unknown): string {
  if ((error as { dataDirInUse?: boolean } | undefined)?.dataDirInUse) {
    return `${(error as Error).message}; stop it, or set EMBEDDED_DATA_DIR to another directory, for example EMBEDDED_DATA_DIR=.data-2 npm start`;
  }
  const reason = error instanceof Error ? error.message : String(error);
  return `npm start could not start: ${reason}`;
}
