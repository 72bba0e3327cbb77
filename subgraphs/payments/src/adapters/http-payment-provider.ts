import { neverConnected } from "#kernel/http/replica-set.ts";
import { Agent } from "undici";
import type { ChargeLookup, ChargeRequest, PaymentProvider, ProviderOutcome, RefundRequest } from "../ports/payment-provider.js";

export interface HttpPaymentProviderOptions {
  /** The provider's base URL, e.g. the simulator's http://127.0.0.1:4010. */
  baseUrl: string;
  /** A call without a complete answer by then ends as `timeout`. */
  timeoutMs: number;
  connections?: number;
}

interface ProviderError {
  error?: { code?: string; decline_code?: string; message?: string };
}

type Answer = { status: number; body: unknown } | { gaveUp: ProviderOutcome };

/**
 * The payment provider over a Stripe-like HTTP API (the repo's payment simulator speaks it):
 * JSON bodies, an `Idempotency-Key` header on every charge and refund, and errors as
 * `{error: {type, code, decline_code, message}}`. Maps the answers onto ProviderOutcome:
 * a 2xx whose object says the money moved succeeded (one that says it failed declined, one
 * still pending or unreadable in doubt); 402 declined; 409 "key in use", 408, 429 and 5xx
 * transient; a timeout or a network failure transient too; any other 4xx rejected (retrying
 * cannot fix it). Every transient answer says whether the money may have moved.
 */
export class HttpPaymentProvider implements PaymentProvider {
  private readonly dispatcher: Agent;

  constructor(private readonly options: HttpPaymentProviderOptions) {
    this.dispatcher = new Agent({ connections: options.connections ?? 64, keepAliveTimeout: 30_000 });
  }

  async charge(request: ChargeRequest, signal?: AbortSignal): Promise<ProviderOutcome> {
    const body = {
      amount: request.amount.amount,
      currency: request.amount.currency,
      customer: request.customerId,
      ...(request.paymentMethod ? { payment_method: request.paymentMethod } : {}),
      description: `Order ${request.orderId}`,
      metadata: { paymentId: request.paymentId, orderId: request.orderId },
    };
    return outcomeOf(await this.call("POST", "/v1/charges", { idempotencyKey: request.idempotencyKey, body }, signal), chargeDone);
  }

  async refund(request: RefundRequest, signal?: AbortSignal): Promise<ProviderOutcome> {
    const body = { charge: request.chargeRef, amount: request.amount.amount };
    return outcomeOf(await this.call("POST", "/v1/refunds", { idempotencyKey: request.idempotencyKey, body }, signal), refundDone);
  }

  async findCharge(paymentId: string, signal?: AbortSignal): Promise<ChargeLookup> {
    const query = encodeURIComponent(`metadata['paymentId']:'${paymentId}'`);
    const answer = await this.call("GET", `/v1/charges/search?query=${query}`, {}, signal);
    if ("gaveUp" in answer) return { kind: "unknown", reason: "reason" in answer.gaveUp ? answer.gaveUp.reason : "no answer" };
    if (answer.status !== 200) return { kind: "unknown", reason: `provider answered ${answer.status}` };
    // Only a list read in full says "none": an answer of another shape says nothing.
    const data = isRecord(answer.body) ? answer.body.data : undefined;
    if (!Array.isArray(data)) return { kind: "unknown", reason: "the provider's search answer could not be read" };
    const captured = data.find((charge) => isRecord(charge) && typeof charge.id === "string" && charge.captured === true) as { id: string } | undefined;
    return captured ? { kind: "captured", ref: captured.id } : { kind: "none" };
  }

  close(): Promise<void> {
    return this.dispatcher.close();
  }

  // Dispatcher.request, not fetch: the same HTTP exchange without WHATWG Request, Headers,
  // Response and body streams, which cost several times the exchange's own CPU on the path
  // every checkout takes (see BENCHMARKS.md, "The payment provider's call without fetch").
  private async call(method: "GET" | "POST", path: string, init: { idempotencyKey?: string; body?: unknown }, signal?: AbortSignal): Promise<Answer> {
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const deadline = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const url = new URL(path, this.options.baseUrl);
    try {
      const response = await this.dispatcher.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method,
        headers: { "content-type": "application/json", ...(init.idempotencyKey ? { "idempotency-key": init.idempotencyKey } : {}) },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: deadline,
      });
      let text: string;
      try {
        text = await response.body.text();
      } catch {
        // The status came but the body did not (cut, or stalled past the deadline): whatever the
        // provider did is in its answer, so the call is in doubt, even for a 2xx.
        return { gaveUp: { kind: "transient", reason: `provider answered ${response.statusCode} but its body could not be read`, mayHaveCharged: true } };
      }
      return { status: response.statusCode, body: parseJson(text) };
    } catch (error) {
      if (timeout.aborted) return { gaveUp: { kind: "timeout", reason: `no answer within ${this.options.timeoutMs} ms` } };
      if (signal?.aborted) return { gaveUp: { kind: "timeout", reason: "the call was interrupted" } };
      // Refused before connecting: nothing was sent. Lost after that: the request may have been done.
      return { gaveUp: { kind: "transient", reason: `network error: ${describe(error)}`, mayHaveCharged: !neverConnected(error) && !neverConnected((error as { cause?: unknown }).cause) } };
    }
  }
}

/** A charge object the money was taken by: Stripe's shape, where every field it sends must agree. */
function chargeDone(body: Record<string, unknown>): "done" | "failed" | "pending" | "unclear" {
  if ((body.status === "failed" || body.paid === false) && body.captured !== true) return "failed";
  if (body.status === "pending") return "pending";
  if ((body.status === undefined || body.status === "succeeded") && body.captured !== false) return "done";
  return "unclear";
}

/** A refund object: only "succeeded" (or no status at all) is money on its way back. */
function refundDone(body: Record<string, unknown>): "done" | "failed" | "pending" | "unclear" {
  if (body.status === "failed" || body.status === "canceled") return "failed";
  if (body.status === "pending" || body.status === "requires_action") return "pending";
  return body.status === undefined || body.status === "succeeded" ? "done" : "unclear";
}

function outcomeOf(answer: Answer, done: (body: Record<string, unknown>) => "done" | "failed" | "pending" | "unclear"): ProviderOutcome {
  if ("gaveUp" in answer) return answer.gaveUp;
  const { status, body } = answer;
  const failure = (isRecord(body) ? (body as ProviderError).error : undefined) ?? {};
  if (status >= 200 && status < 300) {
    // A 2xx means the provider did something; only an answer read in full says what. Anything
    // else (no body, HTML, no id, a status this code does not know) is in doubt, settled by
    // asking the provider, never taken as a failure (the money may be taken) nor as a success.
    if (!isRecord(body) || typeof body.id !== "string") return { kind: "transient", reason: `provider answered ${status} without a readable object`, mayHaveCharged: true };
    const state = done(body);
    if (state === "done") return { kind: "succeeded", ref: body.id };
    const code = typeof body.failure_code === "string" ? body.failure_code : typeof body.status === "string" ? body.status : "unknown";
    if (state === "failed") return { kind: "declined", reason: code };
    if (state === "pending") return { kind: "transient", reason: `provider answered ${status} with ${body.id} still ${code}`, mayHaveCharged: true, stillProcessing: true };
    return { kind: "transient", reason: `provider answered ${status} with ${body.id} in state ${code}`, mayHaveCharged: true };
  }
  if (status === 402) return { kind: "declined", reason: failure.decline_code ?? failure.code ?? "declined" };
  const answered = `provider answered ${status}${failure.code ? ` ${failure.code}` : ""}`;
  // A 429 was refused before any work; a 5xx, or a 408 from a proxy that gave up waiting, may
  // come after the work was done.
  if (status === 429) return { kind: "transient", reason: answered };
  if (status >= 500 || status === 408) return { kind: "transient", reason: answered, mayHaveCharged: true };
  if (status === 409 && failure.code === "idempotency_key_in_use") return { kind: "transient", reason: answered, mayHaveCharged: true, stillProcessing: true };
  const reason = `provider answered ${status} ${failure.code ?? ""}: ${failure.message ?? ""}`.trim();
  return status === 409 && failure.code === "idempotency_key_reused" ? { kind: "rejected", reason, keyReused: true } : { kind: "rejected", reason };
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
