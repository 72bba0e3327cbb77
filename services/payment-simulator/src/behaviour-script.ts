/**
 * What the simulator does with a request, beyond the happy path:
 * - `decline`: the charge executes and is refused by the card issuer (402, stored: a retry
 *   with the same key gets the same decline, as with a real provider);
 * - `fail`: a transient 5xx before anything executes (load-shed; nothing stored, so a retry
 *   with the same key executes);
 * - `timeout`: the request executes (the charge is captured and stored) but the answer is
 *   held back for `hangMs`, as when a response is lost on the way; the client sees a timeout
 *   and its retry with the same key must not charge again;
 * - `lose`: the request executes (captured and stored) and the answer is a 500: an error that
 *   says nothing of the work done;
 * - `slow`: the request takes `hangMs` to execute, its key "in progress" meanwhile (a retry
 *   with it meets 409 idempotency_key_in_use), then executes and answers as usual;
 * - `garble`: the request executes (captured and stored) and the answer is a 200 whose body is
 *   not the object (an HTML page, as a proxy in the way could send), replays included: a
 *   success nobody can read;
 * - `stale` (lookups): the search answers as a real one can for about a minute after a
 *   capture, without it: an empty list.
 */
export type BehaviourAction = "decline" | "fail" | "timeout" | "lose" | "slow" | "garble" | "stale";

/** What a request does: lookups are searches for charges (they only meet `fail`, `timeout` and `stale`). */
export type Operation = "charge" | "refund" | "lookup";

/** Which requests a rule applies to; every given field must match. */
export interface RuleMatch {
  operation?: Operation;
  idempotencyKey?: string;
  customer?: string;
  paymentId?: string;
  orderId?: string;
}

export interface BehaviourRule {
  match: RuleMatch;
  action: BehaviourAction;
  /** How many matching requests the rule applies to; omitted means every one. */
  times?: number;
  /** The issuer's reason for `decline` (Stripe's decline codes), default `card_declined`. */
  declineCode?: string;
}

/** The facts of one request the rules are matched against. */
export interface RequestSubject {
  operation: Operation;
  idempotencyKey?: string;
  customer?: string;
  paymentId?: string;
  orderId?: string;
  /** Whether the key already has a stored response; a replay cannot be declined anew. */
  replay: boolean;
}

export interface Rates {
  declineRate: number;
  failureRate: number;
  timeoutRate: number;
}

export interface Decision {
  action: BehaviourAction | "succeed";
  declineCode: string;
  /** Which rule decided, for the simulator's log; undefined for the random draw. */
  ruleId?: number;
}

interface ActiveRule extends BehaviourRule {
  id: number;
  used: number;
}

/**
 * Scripted behaviour (rules, first match wins, used up after `times`) on top of random
 * behaviour drawn from a seeded generator, so a run with the same seed and the same request
 * order behaves the same.
 */
export class BehaviourScript {
  private rules: ActiveRule[] = [];
  private nextId = 1;
  private readonly random: () => number;

  constructor(
    private readonly rates: Rates,
    seed: number,
  ) {
    this.random = mulberry32(seed);
  }

  add(rule: BehaviourRule): number {
    const id = this.nextId++;
    this.rules.push({ ...rule, id, used: 0 });
    return id;
  }

  clear(): void {
    this.rules = [];
  }

  decide(subject: RequestSubject): Decision {
    const rule = this.rules.find((r) => applies(r, subject));
    if (rule) {
      rule.used += 1;
      if (rule.times !== undefined && rule.used >= rule.times) this.rules = this.rules.filter((r) => r !== rule);
      return { action: rule.action, declineCode: rule.declineCode ?? "card_declined", ruleId: rule.id };
    }
    const draw = this.random();
    const { declineRate, failureRate, timeoutRate } = this.rates;
    // A decline is the issuer's answer to a new charge; replays and refunds only meet the
    // transport's failures.
    const canDecline = subject.operation === "charge" && !subject.replay;
    let threshold = canDecline ? declineRate : 0;
    if (draw < threshold) return { action: "decline", declineCode: "generic_decline" };
    if (draw < (threshold += failureRate)) return { action: "fail", declineCode: "" };
    if (draw < (threshold += timeoutRate)) return { action: "timeout", declineCode: "" };
    return { action: "succeed", declineCode: "" };
  }
}

function applies(rule: ActiveRule, subject: RequestSubject): boolean {
  if (rule.action === "decline" && (subject.replay || subject.operation !== "charge")) return false;
  const match = rule.match;
  return (Object.keys(match) as (keyof RuleMatch)[]).every((field) => match[field] === undefined || match[field] === subject[field]);
}

/** Deterministic pseudo-random numbers in [0, 1) from a 32-bit seed. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
