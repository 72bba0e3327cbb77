import { DomainError } from "../errors/domain-error.js";
import { ErrorCode } from "../errors/error-codes.js";
import { countAdmissionRefusal, watchAdmissionGate } from "../observability/metrics-admission.js";

/**
 * Past its capacity a service that takes every request does less, not more: each request
 * waits behind all the others, times out at its caller and is retried, while the CPU it
 * already used is lost (measured on checkout: 100/s offered to a process that serves 40/s
 * answered 23/s, p50 5.7 s). A gate keeps at most `maxInFlight` requests working; the next
 * ones wait in order, and one that waited `maxWaitMs` (or finds `maxQueue` waiting already)
 * is refused at once with SERVICE_UNAVAILABLE, reason OVERLOADED and a retry hint, having
 * done nothing, so the ones let in keep their pace and the refusals cost almost nothing.
 *
 * Places are shared fairly between parties (the callers the gate serves, as `enter` names
 * them): a freed place goes to the waiter whose party holds the fewest places, the longest
 * waiting of those first, and a full queue refuses the newest waiter of the party holding and
 * waiting most rather than a newcomer of a party that has less. In arrival order alone, one
 * customer's burst of writes to their own cart, which the cart serializes, held every one of the
 * gateway's connections to the cart subgraph for seconds, and every other shopper's cart was
 * refused OVERLOADED behind that backlog. No party is held back while places are free: a party
 * alone still gets them all.
 */
export interface AdmissionGate {
  /**
   * Waits for a place for `party` (one party for all when not given); resolves with the
   * function that gives it back (once, whatever happens).
   */
  enter(party?: string): Promise<() => void>;
  status(): { inFlight: number; waiting: number; refused: number };
}

export interface AdmissionGateOptions {
  /** Names the gate in metrics. */
  name: string;
  /** What is refused, for the client's message (default: the name). */
  what?: string;
  maxInFlight: number;
  maxWaitMs: number;
  /** Waiting requests past which a new one is refused without waiting (default 8 x maxInFlight). */
  maxQueue?: number;
}

const overloaded = (what: string, retryAfterSeconds: number) =>
  new DomainError(ErrorCode.SERVICE_UNAVAILABLE, `Too many ${what} at this moment; nothing was done, retry in ${retryAfterSeconds} s`, {
    reason: "OVERLOADED",
    retryAfterSeconds,
  });

export function createAdmissionGate(options: AdmissionGateOptions): AdmissionGate {
  const { name, maxInFlight, maxWaitMs } = options;
  const maxQueue = options.maxQueue ?? maxInFlight * 8;
  if (!(maxInFlight >= 1) || !(maxWaitMs >= 0) || !(maxQueue >= 0)) throw new Error(`Invalid admission gate ${name}`);
  watchAdmissionGate(name);
  type Waiter = { party: string; arrival: number; admit: () => void; refuse: () => void; timer: NodeJS.Timeout };
  /** Each party's waiters, oldest first; a party is here only while it has one. */
  const waiting = new Map<string, Waiter[]>();
  /** Places each party holds; a party is here only while it holds one. */
  const held = new Map<string, number>();
  let waiters = 0;
  let arrivals = 0;
  let inFlight = 0;
  let refused = 0;
  const retryAfterSeconds = Math.max(1, Math.ceil((2 * maxWaitMs) / 1000));

  const refuse = () => {
    refused += 1;
    countAdmissionRefusal(name);
    return overloaded(options.what ?? name, retryAfterSeconds);
  };

  const take = (party: string) => held.set(party, (held.get(party) ?? 0) + 1);
  const release = (party: string) => {
    const count = held.get(party)! - 1;
    if (count === 0) held.delete(party);
    else held.set(party, count);
  };
  const remove = (waiter: Waiter) => {
    const line = waiting.get(waiter.party)!;
    line.splice(line.indexOf(waiter), 1);
    if (line.length === 0) waiting.delete(waiter.party);
    waiters -= 1;
    clearTimeout(waiter.timer);
  };
  /** The waiter a freed place goes to: of the party holding fewest, the oldest; ties to the longest waiting. */
  const nextWaiter = (): Waiter | undefined => {
    let next: Waiter | undefined;
    let fewest = Number.POSITIVE_INFINITY;
    for (const [party, line] of waiting) {
      const holds = held.get(party) ?? 0;
      if (holds < fewest || (holds === fewest && line[0]!.arrival < next!.arrival)) {
        next = line[0]!;
        fewest = holds;
      }
    }
    return next;
  };
  /** The newest waiter of the party holding and waiting most, when that is more than `party` would with one more. */
  const displaceable = (party: string): Waiter | undefined => {
    const load = (of: string) => (held.get(of) ?? 0) + (waiting.get(of)?.length ?? 0);
    let most: string | undefined;
    for (const other of waiting.keys()) if (most === undefined || load(other) > load(most)) most = other;
    return most !== undefined && most !== party && load(most) > load(party) + 1 ? waiting.get(most)!.at(-1) : undefined;
  };

  const placeHeld = (party: string): (() => void) => {
    take(party);
    let given = false;
    return () => {
      if (given) return;
      given = true;
      // Chosen while the leaving party still counts its place: with one place, a party letting
      // go of it would hold none and tie with a waiter that has had none at all.
      const next = nextWaiter();
      release(party);
      if (next) {
        // The place goes straight to the waiter: inFlight stays as it is.
        remove(next);
        next.admit();
      } else inFlight -= 1;
    };
  };

  return {
    enter(party = "") {
      if (inFlight < maxInFlight) {
        inFlight += 1;
        return Promise.resolve(placeHeld(party));
      }
      if (waiters >= maxQueue) {
        const displaced = maxQueue > 0 ? displaceable(party) : undefined;
        if (!displaced) return Promise.reject(refuse());
        remove(displaced);
        displaced.refuse();
      }
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          party,
          arrival: arrivals++,
          admit: () => resolve(placeHeld(party)),
          refuse: () => reject(refuse()),
          timer: setTimeout(() => {
            remove(waiter);
            waiter.refuse();
          }, maxWaitMs),
        };
        const line = waiting.get(party);
        if (line) line.push(waiter);
        else waiting.set(party, [waiter]);
        waiters += 1;
      });
    },
    status: () => ({ inFlight, waiting: waiters, refused }),
  };
}
