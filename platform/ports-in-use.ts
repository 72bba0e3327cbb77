import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { isProcessRunning, SUBGRAPH_NAMES, type Config } from "#kernel";
import { databaseStartAdvice, type ConfiguredDatabases } from "#kernel/relational/database-start-advice.ts";
import { LISTEN_STATE, readSocketTables, socketTableEntries } from "#kernel/http/kernel-send-queues.ts";

/** A port `npm start` binds, and the variable that moves it. */
export interface ListeningPort {
  port: number;
  variable: string;
}

/**
 * A port found taken, and whether a server listens on it: where none does, a connection of this
 * machine holds it as its own end (any port of the range the system gives outgoing connections
 * may be taken so, for as long as that connection lives), and no other start is to blame.
 */
export interface TakenPort extends ListeningPort {
  heldBy?: "server" | "connection";
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

/**
 * The one line for variables naming the same port, or undefined: the one process cannot
 * listen twice on a port, and the bind that failed half-way through the start was blamed on
 * whichever variable came first (GATEWAY_PORT, for a PAYMENT_SIMULATOR_PORT set to it).
 */
export function samePortMessage(ports: ListeningPort[]): string | undefined {
  const byPort = new Map<number, string[]>();
  // Port 0 asks the system for a free port: any number of servers may.
  for (const { port, variable } of ports) if (port !== 0) byPort.set(port, [...(byPort.get(port) ?? []), variable]);
  const clashes = [...byPort].filter(([, variables]) => variables.length > 1);
  if (clashes.length === 0) return undefined;
  const named = clashes.map(([port, variables]) => `${variables.slice(0, -1).join(", ")} and ${variables.at(-1)} name the same port ${port}`);
  return `${named.join("; ")}: npm start runs every server in one process, each on a port of its own; set ${clashes.map(([, variables]) => variables.at(-1)).join(", ")} to another`;
}

function isInUse(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "EADDRINUSE"));
    probe.listen(port, host, () => probe.close(() => resolve(false)));
  });
}

/**
 * Every one of `ports` something already listens on, checked before anything starts: a second
 * `npm start` then stops at once with one line, instead of failing half-way through with a
 * raw EADDRINUSE from whichever server happened to bind first.
 */
export async function findPortsInUse(ports: ListeningPort[], host: string): Promise<TakenPort[]> {
  const taken: ListeningPort[] = [];
  for (const candidate of ports) if (await isInUse(candidate.port, host)) taken.push(candidate);
  if (taken.length === 0) return [];
  const listening = await listeningPorts();
  return taken.map((candidate) => (listening ? { ...candidate, heldBy: listening.has(candidate.port) ? "server" : "connection" } : candidate));
}

/** The ports a socket of this network namespace listens on, from the kernel's socket tables; undefined where there are none (not Linux). */
async function listeningPorts(): Promise<Set<number> | undefined> {
  const texts = await readSocketTables();
  if (texts.length === 0) return undefined;
  const ports = new Set<number>();
  for (const text of texts) for (const entry of socketTableEntries(text)) if (entry.state === LISTEN_STATE) ports.add(entry.localPort);
  return ports;
}

/** The range of ports the system gives outgoing connections, as it says, or Linux's default. */
function outgoingPortRange(): string {
  try {
    const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/);
    if (low && high) return `${low}-${high}`;
  } catch {
    // Not Linux: its default is named.
  }
  return "32768-60999";
}

const heldByConnections = (taken: TakenPort[]) => taken.length > 0 && taken.every(({ heldBy }) => heldBy === "connection");

/** Why a taken port is taken, as far as can be told: another server, or a connection's own end. */
function takenBecause(taken: TakenPort[]): string {
  if (heldByConnections(taken)) {
    const range = outgoingPortRange();
    return `(no server listens on ${taken.length === 1 ? "it" : "them"}: this machine's outgoing connections take their own ends from the ports ${range}, and one holds ${taken.length === 1 ? "it" : "each"} for now; try again, or choose ports outside ${range})`;
  }
  return "(is another npm start running?)";
}

/** The first of `ports` something already listens on. */
export async function findPortInUse(ports: ListeningPort[], host: string): Promise<ListeningPort | undefined> {
  return (await findPortsInUse(ports, host))[0];
}

export function portInUseMessage(taken: TakenPort, host: string, kept: Record<string, string> = {}): string {
  const { port, variable } = taken;
  return `Port ${port} on ${host} is already in use ${takenBecause([taken])}; ${heldByConnections([taken]) ? "" : "stop it, or "}set ${variable} to a free port, for example ${commandBeside([`${variable}=${port + 100}`], kept)}`;
}

/**
 * The variables that place this start (its ports, its data directory) as the environment set
 * them: a suggested command that moves one of them must repeat the others, or the copy-pasted
 * command landed the gateway back on 4000 (`GATEWAY_PORT=4200 npm start`, only a subgraph's
 * port taken) and the data in the default directory.
 */
export function placementSettings(ports: ListeningPort[], env: Record<string, string | undefined> = process.env): Record<string, string> {
  const names = [...ports.map(({ variable }) => variable), "EMBEDDED_DATA_DIR"];
  return Object.fromEntries(names.flatMap((name) => (env[name] ? [[name, env[name]!]] : [])));
}

/** `npm start` with `moves`, and every `kept` setting none of them replaces. */
function commandBeside(moves: string[], kept: Record<string, string>): string {
  const moved = new Set(moves.map((move) => move.split("=")[0]));
  const repeated = Object.entries(kept)
    .filter(([name]) => !moved.has(name))
    .map(([name, value]) => `${name}=${/^[\w./:,@-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`}`);
  return [...repeated, ...moves, "npm start"].join(" ");
}

/**
 * One line for a start whose ports (and perhaps its data directory) are taken. A second
 * `npm start` beside a first one finds all of them taken: naming only the first sent the
 * newcomer through one failed start per port and then the data directory, so the line gives
 * the whole command that starts beside it.
 */
export function portsInUseMessage(taken: TakenPort[], host: string, heldDataDir?: string, kept: Record<string, string> = {}): string {
  if (taken.length === 1 && !heldDataDir) return portInUseMessage(taken[0]!, host, kept);
  const what = [
    ...(taken.length ? [`${taken.length === 1 ? "port" : "ports"} ${taken.map(({ port, variable }) => `${port} (${variable})`).join(", ")} on ${host}`] : []),
    ...(heldDataDir ? [`the data directory ${heldDataDir}`] : []),
  ].join(" and ");
  const moves = [...taken.map(({ port, variable }) => `${variable}=${port + 100}`), ...(heldDataDir ? [`EMBEDDED_DATA_DIR=${heldDataDir}-2`] : [])];
  const verb = taken.length + (heldDataDir ? 1 : 0) === 1 ? "is" : "are";
  const byConnections = !heldDataDir && heldByConnections(taken);
  const because = byConnections ? takenBecause(taken) : "(is another npm start running?)";
  return `${what[0]!.toUpperCase()}${what.slice(1)} ${verb} in use by another process ${because}; ${byConnections ? "" : "stop it, or "}start this one beside it: ${commandBeside(moves, kept)}`;
}

/**
 * The EMBEDDED_DATA_DIR of this start when a live process holds it (the embedded PostgreSQL's
 * postmaster.pid, or the catalog journal's LOCK), else undefined. Read before anything starts,
 * so a second start names it in the same line as its ports.
 */
export function heldEmbeddedDataDir(config: Config): string | undefined {
  const dataDir = config.relational.embeddedDir.replace(/\/postgres$/, "");
  const pidFiles = [
    ...(config.documents.embeddedDir && !config.documents.mongoUrl ? [join(config.documents.embeddedDir, "LOCK")] : []),
    ...(config.relational.databaseUrl ? [] : [join(config.relational.embeddedDir, "postmaster.pid")]),
  ];
  return pidFiles.some((file) => isRunning(firstLineNumber(file))) ? dataDir : undefined;
}

function firstLineNumber(file: string): number {
  try {
    return Number(readFileSync(file, "utf8").split("\n")[0]!.trim());
  } catch {
    return 0;
  }
}

function isRunning(pid: number): boolean {
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && isProcessRunning(pid);
}

/** Whether a start failed because a server could not bind (another process took the port). */
export function isAddressInUse(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === "EADDRINUSE";
}

/** One line for a start that failed for another reason: what failed, without a stack trace. */
export function startFailureMessage(error: unknown, databases: ConfiguredDatabases = {}): string {
  if ((error as { dataDirInUse?: boolean } | undefined)?.dataDirInUse) {
    return `${(error as Error).message}; stop it, or set EMBEDDED_DATA_DIR to another directory, for example EMBEDDED_DATA_DIR=.data-2 npm start`;
  }
  const advice = databaseStartAdvice(error, databases);
  if (advice) return `npm start could not start: ${advice}`;
  const reason = error instanceof Error ? error.message : String(error);
  return `npm start could not start: ${reason}`;
}
