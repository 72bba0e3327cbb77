import { availableParallelism } from "node:os";
import { DomainError, ErrorCode, rateLimited } from "#kernel";

/**
 * Password derivations (scrypt, 32 MiB and ~0.27 s of a core each) are the costliest thing a
 * caller can ask for by the hundred: a network's 100 log-ins sent at once ran on every thread of
 * libuv's pool, took both cores of the machine from the event loop (a product read beside them
 * waited 6.5 s) and held 100 MB. Every derivation goes through this gate: a few at a time (the
 * event loop keeps a core), the rest waiting in a bounded queue where each client network holds
 * a few places at most and networks take turns, so one network's flood waits behind its own
 * share and is refused past it, while another network's log-in waits for one turn of each
 * network in line, not for the flood. A caller refused here gets RATE_LIMITED
 * with a retry time (its network's share is taken) or SERVICE_UNAVAILABLE (the whole queue is,
 * or its wait ran out); it is not counted as a failed log-in.
 */
export interface PasswordWorkGate {
  run<T>(network: string | undefined, derive: () => Promise<T>): Promise<T>;
  /** Derivations running and waiting now (metrics and tests). */
  readonly load: { running: number; waiting: number };
}

export interface PasswordWorkLimits {
  /** Derivations at once in this process. */
  concurrency: number;
  /** Places in line (running or waiting) one client network may hold. */
  perNetwork: number;
  /** Places in line for everyone together. */
  queue: number;
  /** How long a derivation may wait for its turn: refused after it, well inside a request's deadline. */
  maxWaitMs: number;
}

/**
 * One core fewer than the machine has (at least one): the event loop keeps one. A network's
 * eight places are an office signing in at nine, about 2 s of line at 0.27 s a check; the whole
 * line's 64 are refused within 5 s, half the gateway's deadline.
 */
export const DEFAULT_PASSWORD_WORK: PasswordWorkLimits = { concurrency: Math.max(1, availableParallelism() - 1), perNetwork: 8, queue: 64, maxWaitMs: 5_000 };

/** The limits with the configured concurrency and per-network places (PASSWORD_CHECKS_AT_ONCE, PASSWORD_CHECKS_PER_NETWORK). */
export const passwordWorkLimits = (configured: { atOnce: number; perNetwork: number }): PasswordWorkLimits => ({ ...DEFAULT_PASSWORD_WORK, concurrency: configured.atOnce, perNetwork: configured.perNetwork });

const busy = (retryAfterSeconds: number) =>
  new DomainError(ErrorCode.SERVICE_UNAVAILABLE, "Too many sign-ins are being checked right now; try again in a moment", { retryAfterSeconds });

/** Derivations of callers with no known network share one line of their own. */
const UNKNOWN_NETWORK = "unknown";

interface Waiter {
  start: () => void;
  timer: NodeJS.Timeout;
}

export function createPasswordWorkGate(limits: PasswordWorkLimits): PasswordWorkGate {
  const retryAfter = Math.max(1, Math.ceil(limits.maxWaitMs / 1000));
  let running = 0;
  let waitingCount = 0;
  /** Each network's waiters in order; the map's order is the networks' turns. */
  const lines = new Map<string, Waiter[]>();
  const held = new Map<string, number>();

  const release = (network: string) => {
    const left = (held.get(network) ?? 1) - 1;
    if (left > 0) held.set(network, left);
    else held.delete(network);
  };

  const next = () => {
    while (running < limits.concurrency && waitingCount > 0) {
      const [network, line] = lines.entries().next().value as [string, Waiter[]];
      const waiter = line.shift()!;
      // This network's next waiter goes to the back of the turns.
      lines.delete(network);
      if (line.length > 0) lines.set(network, line);
      waitingCount--;
      clearTimeout(waiter.timer);
      // Counted here, not when its promise resumes: the loop must see the place taken.
      running++;
      waiter.start();
    }
  };

  const wait = (network: string) =>
    new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        start: resolve,
        timer: setTimeout(() => {
          const line = lines.get(network)!;
          line.splice(line.indexOf(waiter), 1);
          if (line.length === 0) lines.delete(network);
          waitingCount--;
          reject(busy(retryAfter));
        }, limits.maxWaitMs),
      };
      const line = lines.get(network);
      if (line) line.push(waiter);
      else lines.set(network, [waiter]);
      waitingCount++;
    });

  return {
    get load() {
      return { running, waiting: waitingCount };
    },

    async run<T>(address: string | undefined, derive: () => Promise<T>): Promise<T> {
      const network = address || UNKNOWN_NETWORK;
      if ((held.get(network) ?? 0) >= limits.perNetwork) throw rateLimited("password checks from this network", retryAfter);
      if (running >= limits.concurrency && waitingCount >= limits.queue) throw busy(retryAfter);
      held.set(network, (held.get(network) ?? 0) + 1);
      try {
        if (running < limits.concurrency) running++;
        // Started by next(), which counts it as running.
        else await wait(network);
        try {
          return await derive();
        } finally {
          running--;
          next();
        }
      } finally {
        release(network);
      }
    },
  };
}
