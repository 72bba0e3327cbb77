import type { Logger } from "../logging/logger.js";

/** One copy of a service, as the replica set tracks it. */
export interface Replica {
  /** The replica's GraphQL URL, e.g. `http://127.0.0.1:4101/graphql`. */
  readonly url: string;
  /** Scheme, host and port: where its pool connects and `/readyz` lives. */
  readonly origin: string;
  /** Requests sent to it and not yet answered, by this process. */
  inFlight: number;
  /** False from a failed connection or health check until a health check answers again. */
  healthy: boolean;
}

export interface ReplicaSetOptions {
  /** What the URLs serve, for the log (`inventory`). */
  name: string;
  urls: readonly string[];
  /** Pause between two active health checks of every replica. */
  checkIntervalMs?: number;
  /** A health check slower than this counts as failed. */
  checkTimeoutMs?: number;
  logger?: Logger;
  /**
   * Asks one replica whether it is up (tests replace it); `/readyz` by default. False or a
   * refused connection takes the replica out at once; a check that only ran out of time
   * counts as a strike (see `slowChecksToEject`).
   */
  probe?: (origin: string, timeoutMs: number) => Promise<boolean>;
  /** Checks in a row that may time out before a replica is taken out (2). */
  slowChecksToEject?: number;
}

/** A list of service URLs, comma separated (`PRODUCTS_URL=http://a/graphql,http://b/graphql`). */
export function replicaUrls(value: string): string[] {
  return value
    .split(",")
    .map((url) => url.trim())
    .filter((url) => url.length > 0);
}

/**
 * The replicas of one service and which of them to send the next request to: the healthy one
 * with the fewest requests in flight, ties broken round-robin, so a slow replica gets less and a
 * dead one none.
 *
 * A replica leaves the rotation the moment a connection to it fails (passive ejection, reported
 * by the caller with `eject`) or a health check fails, and comes back when `/readyz` answers
 * again; checks run every `checkIntervalMs` (500 ms) with a `checkTimeoutMs` (400 ms) limit,
 * so a dead replica that gets no traffic is dropped within a second too. With one URL there
 * is nothing to choose and nothing is checked: the single-process layouts pay nothing.
 *
 * A check that merely runs out of time needs a second one in a row to eject: on a machine
 * short of CPU this process's own timers run late, and one slow answer would take every
 * replica out at once. A refused connection (a dead process) ejects at once. When every
 * replica is out anyway, requests are spread over all of them as if all were healthy (the
 * panic mode of Envoy's balancers): a request that might work beats a refusal that surely fails.
 */
export class ReplicaSet {
  readonly name: string;
  readonly replicas: readonly Replica[];
  private readonly slowChecks = new Map<Replica, number>();
  private readonly slowChecksToEject: number;
  private readonly logger: Logger | undefined;
  private readonly probe: (origin: string, timeoutMs: number) => Promise<boolean>;
  private readonly checkIntervalMs: number;
  private readonly checkTimeoutMs: number;
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  private checking = false;

  constructor(options: ReplicaSetOptions) {
    if (options.urls.length === 0) throw new Error(`No URL for ${options.name}`);
    this.name = options.name;
    this.replicas = options.urls.map((url) => ({ url, origin: new URL(url).origin, inFlight: 0, healthy: true }));
    this.logger = options.logger;
    this.probe = options.probe ?? probeHealth;
    this.checkIntervalMs = options.checkIntervalMs ?? 500;
    this.checkTimeoutMs = options.checkTimeoutMs ?? 400;
    this.slowChecksToEject = options.slowChecksToEject ?? 2;
  }

  /** Starts the active health checks (only with more than one replica). */
  start(): this {
    if (this.replicas.length > 1 && !this.timer) {
      this.timer = setInterval(() => void this.checkAll(), this.checkIntervalMs);
      this.timer.unref();
    }
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The replica for the next request, other than those in `tried` while another is left. */
  pick(tried?: ReadonlySet<Replica>): Replica {
    const { replicas } = this;
    if (replicas.length === 1) return replicas[0]!;
    const untried = (replica: Replica) => !tried?.has(replica);
    const start = this.next++ % replicas.length;
    return this.leastBusy(start, (replica) => replica.healthy && untried(replica)) ?? this.leastBusy(start, untried) ?? this.leastBusy(start, () => true)!;
  }

  /** Of the eligible replicas, the one with the fewest requests in flight, the first from `start` on a tie. */
  private leastBusy(start: number, eligible: (replica: Replica) => boolean): Replica | undefined {
    const { replicas } = this;
    let best: Replica | undefined;
    for (let i = 0; i < replicas.length; i++) {
      const replica = replicas[(start + i) % replicas.length]!;
      if (eligible(replica) && (!best || replica.inFlight < best.inFlight)) best = replica;
    }
    return best;
  }

  /** True while some replica not in `tried` is in the rotation: a retry has somewhere to go. */
  hasHealthyBeyond(tried: ReadonlySet<Replica>): boolean {
    return this.replicas.some((replica) => replica.healthy && !tried.has(replica));
  }

  /** Takes a replica out of the rotation after a failed connection to it. */
  eject(replica: Replica, reason: string): void {
    if (this.replicas.length === 1 || !replica.healthy) return;
    replica.healthy = false;
    this.logger?.warn("replica ejected", { service: this.name, replica: replica.origin, reason });
  }

  /** Runs one round of health checks now (the timer runs them every interval). */
  async checkAll(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      await Promise.all(
        this.replicas.map(async (replica) => {
          const outcome = await this.probe(replica.origin, this.checkTimeoutMs).then(
            (up) => (up ? "up" : "down"),
            (error: unknown) => (transportFailure(error) ? "down" : "slow"),
          );
          if (outcome === "up") {
            this.slowChecks.delete(replica);
            if (!replica.healthy) {
              replica.healthy = true;
              this.logger?.info("replica back in rotation", { service: this.name, replica: replica.origin });
            }
            return;
          }
          const strikes = outcome === "slow" ? (this.slowChecks.get(replica) ?? 0) + 1 : this.slowChecksToEject;
          this.slowChecks.set(replica, strikes);
          if (strikes >= this.slowChecksToEject) this.eject(replica, outcome === "slow" ? "health checks timed out" : "health check failed");
        }),
      );
    } finally {
      this.checking = false;
    }
  }

  /** Replica origin -> "up" or "down", for readiness reports. */
  states(): Record<string, "up" | "down"> {
    return Object.fromEntries(this.replicas.map((replica) => [replica.origin, replica.healthy ? "up" : "down"]));
  }
}

/**
 * Sends one request to a replica of the set, moving on to another healthy one when the
 * transport fails: always when the connection was never made (the request did not leave), and
 * after a connection lost before the answer only when `idempotent` (a query: running it twice
 * changes nothing). A mutation that may have reached a replica is never sent again here; its
 * client retries under the same idempotency key. A failing replica is ejected on the way.
 */
export async function sendToAReplica<T>(set: ReplicaSet, idempotent: boolean, send: (replica: Replica) => Promise<T>): Promise<T> {
  const tried = new Set<Replica>();
  for (;;) {
    const replica = set.pick(tried);
    tried.add(replica);
    replica.inFlight++;
    try {
      return await send(replica);
    } catch (error) {
      if (!transportFailure(error)) throw error;
      set.eject(replica, errorCode(error) ?? "transport failure");
      if (!(neverConnected(error) || idempotent) || !set.hasHealthyBeyond(tried)) throw error;
    } finally {
      replica.inFlight--;
    }
  }
}

/**
 * Asks a replica's `/readyz`, not `/healthz`: a replica told to stop fails it at once while it
 * keeps serving for SUBGRAPH_SHUTDOWN_DELAY_MS, so it leaves the rotation before it stops
 * accepting and no request is sent to a socket it is closing; one whose engine is down leaves
 * it too (and when every replica says so, panic mode spreads requests over all as before). A
 * replica of an earlier version has no `/readyz` (404): it is judged alive, as `/healthz` did.
 */
async function probeHealth(origin: string, timeoutMs: number): Promise<boolean> {
  const response = await fetch(`${origin}/readyz`, { signal: AbortSignal.timeout(timeoutMs) });
  await response.body?.cancel();
  return response.ok || response.status === 404;
}

/**
 * Whether a request failed to reach the replica at all: the connection was refused or could
 * not be made, so not one byte of the request left this process and sending it to another
 * replica cannot run it twice, whatever it does.
 */
export function neverConnected(error: unknown): boolean {
  const code = errorCode(error);
  return code === "ECONNREFUSED" || code === "UND_ERR_CONNECT_TIMEOUT" || code === "EHOSTUNREACH" || code === "ENETUNREACH" || code === "EADDRNOTAVAIL";
}

/**
 * Whether a request failed in the transport, before any response: the connection was refused,
 * reset or closed under it. Such a replica is ejected. A request the caller aborted (its own
 * timeout) says nothing about the replica's health beyond slowness, and is not one of these.
 */
export function transportFailure(error: unknown): boolean {
  if (neverConnected(error)) return true;
  const code = errorCode(error);
  return code === "ECONNRESET" || code === "EPIPE" || code === "UND_ERR_SOCKET" || code === "UND_ERR_CLOSED";
}

function errorCode(error: unknown): string | undefined {
  // fetch wraps the socket's error as the cause of a TypeError("fetch failed").
  for (let current = error, depth = 0; current && depth < 4; current = (current as { cause?: unknown }).cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}
