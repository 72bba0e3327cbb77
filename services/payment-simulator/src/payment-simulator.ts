import { setMaxListeners } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { setTimeout as delay } from "node:timers/promises";
import { httpOrigin } from "#kernel/http/http-origin.ts";
import { closeServer, listen } from "#kernel/http/listen.ts";
import { readBody } from "#kernel/http/read-body.ts";
import type { Logger } from "#kernel/logging/logger.ts";
import { BehaviourScript, type BehaviourAction, type BehaviourRule, type Decision, type Operation, type RequestSubject } from "./behaviour-script.js";
import { IdempotencyStore, requestFingerprint, type StoredResponse } from "./idempotency-store.js";
import { Ledger, type Charge, type LedgerFilter } from "./ledger.js";
import { isPaymentMethodId, paymentMethodEffect, TRANSIENT_FAILURES } from "./test-payment-methods.js";

export interface PaymentSimulatorOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  /** Added to every answer: the provider's processing time. */
  latencyMs?: number;
  /** Shares (0..1) of charges that are declined, fail with a 503, or time out (see BehaviourAction). */
  declineRate?: number;
  failureRate?: number;
  timeoutRate?: number;
  seed?: number;
  /** How long a `timeout` holds its answer back: longer than any client's timeout. */
  hangMs?: number;
  logger?: Logger;
}

export interface RunningPaymentSimulator {
  url: string;
  port: number;
  /** Captured charges and refunds, for tests in the same process (also GET /ledger). */
  ledger(filter?: LedgerFilter): ReturnType<Ledger["list"]>;
  /** Scripts behaviour (also POST /control/rules); returns the rule's id. */
  addRule(rule: BehaviourRule): number;
  /** Forgets rules, charges and idempotency keys (also POST /control/reset). */
  reset(): void;
  close(): Promise<void>;
}

/** The body of a `garble` answer: written as an HTML page instead of JSON. */
const GARBLED = Symbol("garbled");

interface Reply {
  status: number;
  body: unknown;
}

const ACTIONS: readonly BehaviourAction[] = ["decline", "fail", "timeout", "lose", "slow", "garble", "stale"];
const MAX_AMOUNT = 99_999_999;

const errorBody = (type: string, code: string, message: string, extra: Record<string, unknown> = {}) => ({ error: { type, code, message, ...extra } });

/**
 * A payment gateway simulator with a Stripe-like HTTP API, so the payment provider adapter is
 * exercised over real HTTP with the failures real providers have: latency, declines, 5xx,
 * lost answers, and idempotency keys (see IdempotencyStore).
 *
 * API: POST /v1/charges {amount, currency, customer?, payment_method?, description?, metadata?}
 * and POST /v1/refunds {charge, amount?}, both honouring an `Idempotency-Key` header (a refund
 * beyond what is left of its charge is refused with 400 charge_already_refunded);
 * `payment_method` takes the test tokens of TEST_PAYMENT_METHODS (an unknown one is a 400);
 * GET /v1/charges/:id; GET /v1/charges/search?query=metadata['paymentId']:'<id>';
 * GET /ledger?customer=&paymentId=&orderId= (captured charges, refunds);
 * POST /control/rules (a BehaviourRule), DELETE /control/rules, POST /control/reset; GET /healthz.
 */
export async function startPaymentSimulator(options: PaymentSimulatorOptions = {}): Promise<RunningPaymentSimulator> {
  const host = options.host ?? "127.0.0.1";
  const latencyMs = options.latencyMs ?? 0;
  const hangMs = options.hangMs ?? 30_000;
  const logger = options.logger;
  const ledger = new Ledger();
  const keys = new IdempotencyStore();
  /** Failures `pm_card_transient` has answered so far, per idempotency key. */
  const transientFailures = new Map<string, number>();
  const script = new BehaviourScript(
    { declineRate: options.declineRate ?? 0, failureRate: options.failureRate ?? 0, timeoutRate: options.timeoutRate ?? 0 },
    options.seed ?? 1,
  );
  const closing = new AbortController();
  // Every request waiting out its latency listens for the close; hundreds at once are normal.
  setMaxListeners(0, closing.signal);
  const pause = (ms: number) => (ms > 0 ? delay(ms, undefined, { signal: closing.signal }).catch(() => undefined) : Promise.resolve());

  function subjectOf(operation: Exclude<Operation, "lookup">, body: Record<string, unknown>, key: string | undefined): Omit<RequestSubject, "replay"> {
    const charge = operation === "refund" ? ledger.charge(String(body.charge)) : undefined;
    const metadata = (operation === "charge" ? body.metadata : charge?.metadata) as Record<string, string> | undefined;
    const customer = operation === "charge" ? (body.customer as string | undefined) : (charge?.customer ?? undefined);
    return { operation, idempotencyKey: key, customer, paymentId: metadata?.paymentId, orderId: metadata?.orderId };
  }

  function execute(operation: Exclude<Operation, "lookup">, body: Record<string, unknown>, decision: Decision): StoredResponse {
    if (operation === "charge") {
      const input = {
        amount: body.amount as number,
        currency: body.currency as string,
        customer: body.customer as string | undefined,
        description: body.description as string | undefined,
        metadata: (body.metadata ?? {}) as Record<string, string>,
      };
      if (decision.action === "decline") {
        const charge = ledger.recordCharge(input, decision.declineCode);
        return { status: 402, body: errorBody("card_error", "card_declined", "Your card was declined.", { decline_code: decision.declineCode, charge: charge.id }) };
      }
      return { status: 200, body: ledger.recordCharge(input) };
    }
    const charge = ledger.charge(String(body.charge));
    if (!charge || !charge.captured) return { status: 404, body: errorBody("invalid_request_error", "resource_missing", `No such charge: '${String(body.charge)}'`, { param: "charge" }) };
    const amount = (body.amount as number | undefined) ?? charge.amount - charge.amount_refunded;
    if (amount <= 0 || amount > charge.amount - charge.amount_refunded) {
      return { status: 400, body: errorBody("invalid_request_error", "charge_already_refunded", `Charge ${charge.id} has ${charge.amount - charge.amount_refunded} left to refund`) };
    }
    return { status: 200, body: ledger.recordRefund(charge, amount) };
  }

  async function mutate(operation: Exclude<Operation, "lookup">, req: IncomingMessage, body: Record<string, unknown>): Promise<Reply & { headers?: Record<string, string> }> {
    const invalid = validate(operation, body);
    if (invalid) return { status: 400, body: invalid };
    const key = header(req, "idempotency-key");
    const path = operation === "charge" ? "/v1/charges" : "/v1/refunds";
    const lookup = key ? keys.begin(key, requestFingerprint("POST", path, body)) : ({ kind: "new" } as const);
    if (lookup.kind === "mismatch") {
      return { status: 409, body: errorBody("idempotency_error", "idempotency_key_reused", "Keys for idempotent requests can only be used with the same parameters they were first used with.") };
    }
    if (lookup.kind === "in-progress") {
      return { status: 409, body: errorBody("idempotency_error", "idempotency_key_in_use", "There is currently another in-progress request using this Idempotency Key.") };
    }
    const replay = lookup.kind === "replay";
    const method = operation === "charge" && !replay ? paymentMethodEffect(body.payment_method as string | undefined) : { kind: "none" as const };
    if (method.kind === "unknown") {
      if (key) keys.abandon(key);
      return { status: 400, body: errorBody("invalid_request_error", "resource_missing", `No such PaymentMethod: '${String(body.payment_method)}'`, { param: "payment_method" }) };
    }
    if (method.kind === "transient") {
      const failures = transientFailures.get(key ?? "") ?? 0;
      if (failures < TRANSIENT_FAILURES) {
        transientFailures.set(key ?? "", failures + 1);
        if (key) keys.abandon(key);
        await pause(latencyMs);
        return { status: 503, body: errorBody("api_error", "service_unavailable", "The payment service is temporarily unavailable.") };
      }
    }
    const scripted = script.decide({ ...subjectOf(operation, body, key), replay });
    // The card's own answer comes before the simulated transport's: a declining card declines.
    const decision: Decision = method.kind === "decline" ? { action: "decline", declineCode: method.declineCode } : scripted;
    logger?.debug("payment simulator request", { operation, key, replay, action: decision.action, ruleId: decision.ruleId });
    if (decision.action === "fail") {
      if (key && !replay) keys.abandon(key);
      await pause(latencyMs);
      return { status: 503, body: errorBody("api_error", "service_unavailable", "The payment service is temporarily unavailable.") };
    }
    let response: StoredResponse;
    if (lookup.kind === "replay") {
      response = lookup.response;
    } else {
      // The key stays "in progress" during the processing time, as at a real provider.
      await pause(decision.action === "slow" ? hangMs : latencyMs);
      response = execute(operation, body, decision);
      if (key) keys.complete(key, response);
      if (decision.action === "lose") return { status: 500, body: errorBody("api_error", "internal_error", "An error occurred while processing the request.") };
    }
    // A garbling proxy garbles replays too.
    if (decision.action === "garble") return { status: 200, body: GARBLED };
    // A timeout loses the answer, not the work: the charge above is already captured.
    await pause(decision.action === "timeout" ? hangMs : replay ? latencyMs : 0);
    return { ...response, headers: replay ? { "idempotent-replayed": "true" } : {} };
  }

  /**
   * Stripe's search, for the one query a client needs to settle a doubt ("was this payment
   * charged?"): `metadata['<field>']:'<value>'`. Lookups meet `fail` and `timeout` like any call, and
   * `stale`, a search that does not show a recent capture yet.
   */
  async function search(query: string): Promise<Reply> {
    const parsed = /^metadata\['(\w+)'\]:'([^']*)'$/.exec(query);
    if (!parsed) return { status: 400, body: errorBody("invalid_request_error", "parameter_invalid", "query must be metadata['<field>']:'<value>'", { param: "query" }) };
    const [, field, value] = parsed as unknown as [string, string, string];
    const decision = script.decide({ operation: "lookup", paymentId: field === "paymentId" ? value : undefined, orderId: field === "orderId" ? value : undefined, replay: false });
    await pause(decision.action === "timeout" ? hangMs : latencyMs);
    if (decision.action === "fail") return { status: 503, body: errorBody("api_error", "service_unavailable", "The payment service is temporarily unavailable.") };
    return { status: 200, body: { object: "search_result", data: decision.action === "stale" ? [] : ledger.search(field, value) } };
  }

  async function route(req: IncomingMessage): Promise<Reply & { headers?: Record<string, string> }> {
    const url = new URL(req.url ?? "/", "http://simulator");
    const method = req.method ?? "GET";
    const path = url.pathname;
    if (method === "GET" && path === "/healthz") return { status: 200, body: { status: "ok" } };
    if (method === "GET" && path === "/ledger") {
      const filter: LedgerFilter = {};
      for (const field of ["customer", "paymentId", "orderId"] as const) {
        const value = url.searchParams.get(field);
        if (value !== null) filter[field] = value;
      }
      return { status: 200, body: ledger.list(filter) };
    }
    if (method === "GET" && path === "/v1/charges/search") return search(url.searchParams.get("query") ?? "");
    const chargeId = /^\/v1\/charges\/([\w-]+)$/.exec(path)?.[1];
    if (method === "GET" && chargeId) {
      const charge: Charge | undefined = ledger.charge(chargeId);
      return charge ? { status: 200, body: charge } : { status: 404, body: errorBody("invalid_request_error", "resource_missing", `No such charge: '${chargeId}'`) };
    }
    if (method === "DELETE" && path === "/control/rules") {
      script.clear();
      return { status: 200, body: { cleared: true } };
    }
    if (method === "POST" && path === "/control/reset") {
      reset();
      return { status: 200, body: { reset: true } };
    }
    if (method !== "POST") return { status: 404, body: errorBody("invalid_request_error", "not_found", `Unrecognized request URL (${method}: ${path})`) };
    const body = parseJson(await readBody(req, 64 * 1024));
    if (!body) return { status: 400, body: errorBody("invalid_request_error", "parameter_invalid", "The body must be a JSON object") };
    if (path === "/control/rules") {
      const rule = parseRule(body);
      return rule ? { status: 201, body: { id: script.add(rule) } } : { status: 400, body: errorBody("invalid_request_error", "parameter_invalid", `A rule needs match (object), action (${ACTIONS.join("|")}), optional times`) };
    }
    if (path === "/v1/charges") return mutate("charge", req, body);
    if (path === "/v1/refunds") return mutate("refund", req, body);
    return { status: 404, body: errorBody("invalid_request_error", "not_found", `Unrecognized request URL (POST: ${path})`) };
  }

  function reset(): void {
    script.clear();
    ledger.clear();
    keys.clear();
    transientFailures.clear();
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    route(req)
      .then(({ status, body, headers }) => {
        if (res.destroyed) return;
        if (body === GARBLED) return void res.writeHead(status, { "content-type": "text/html", ...headers }).end("<html><body>OK</body></html>");
        res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
      })
      .catch((error: unknown) => {
        logger?.warn("payment simulator request failed", { error: String(error) });
        if (!res.headersSent && !res.destroyed) res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify(errorBody("api_error", "internal", "Simulator error")));
      });
  });
  const port = await listen(server, options.port ?? 0, host);
  logger?.info("payment simulator listening", { port, latencyMs, rates: { decline: options.declineRate ?? 0, failure: options.failureRate ?? 0, timeout: options.timeoutRate ?? 0 } });
  return {
    url: httpOrigin(host, port),
    port,
    ledger: (filter) => ledger.list(filter),
    addRule: (rule) => script.add(rule),
    reset,
    async close() {
      closing.abort();
      await closeServer(server);
    },
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === "" ? undefined : first;
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text || "{}") as unknown;
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Refusals before execution (not stored under the idempotency key), as a provider's 400s. */
function validate(operation: Exclude<Operation, "lookup">, body: Record<string, unknown>): unknown {
  const invalid = (param: string, message: string) => errorBody("invalid_request_error", "parameter_invalid", message, { param });
  const { amount } = body;
  if (operation === "refund") {
    if (typeof body.charge !== "string" || body.charge === "") return invalid("charge", "A refund needs the charge id");
    if (amount !== undefined && !(Number.isSafeInteger(amount) && (amount as number) > 0)) return invalid("amount", "amount must be a positive integer");
    return undefined;
  }
  if (!Number.isSafeInteger(amount) || (amount as number) <= 0 || (amount as number) > MAX_AMOUNT) return invalid("amount", `amount must be an integer from 1 to ${MAX_AMOUNT} (minor units)`);
  if (typeof body.currency !== "string" || !/^[A-Za-z]{3}$/.test(body.currency)) return invalid("currency", "currency must be a three-letter ISO code");
  if (body.customer !== undefined && typeof body.customer !== "string") return invalid("customer", "customer must be a string");
  if (body.payment_method !== undefined && !isPaymentMethodId(body.payment_method)) return invalid("payment_method", "payment_method must be a payment-method id such as pm_card_ok");
  const metadata = body.metadata;
  if (metadata !== undefined && (typeof metadata !== "object" || metadata === null || Object.values(metadata).some((v) => typeof v !== "string"))) {
    return invalid("metadata", "metadata must be an object of strings");
  }
  return undefined;
}

function parseRule(body: Record<string, unknown>): BehaviourRule | undefined {
  const { match, action, times, declineCode } = body;
  if (!match || typeof match !== "object" || Array.isArray(match)) return undefined;
  if (!ACTIONS.includes(action as BehaviourAction)) return undefined;
  if (times !== undefined && !(Number.isSafeInteger(times) && (times as number) > 0)) return undefined;
  if (declineCode !== undefined && typeof declineCode !== "string") return undefined;
  return { match: match as BehaviourRule["match"], action: action as BehaviourAction, times: times as number | undefined, declineCode: declineCode as string | undefined };
}
