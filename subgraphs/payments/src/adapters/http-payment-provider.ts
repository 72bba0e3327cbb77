import { neverConnected } from "#kernel/http/replica-set.ts";
import { Agent, fetch } from "undici";
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
 * 2xx succeeded; 402 declined; 409 "key in use", 429 and 5xx transient; a timeout or a
 * network failure transient too; any other 4xx rejected (retrying cannot fix it).
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
    return outcomeOf(await this.call("POST", "/v1/charges", { idempotencyKey: request.idempotencyKey, body }, signal));
  }

  async refund(request: RefundRequest, signal?: AbortSignal): Promise<ProviderOutcome> {
    const body = { charge: request.chargeRef, amount: request.amount.amount };
    return outcomeOf(await this.call("POST", "/v1/refunds", { idempotencyKey: request.idempotencyKey, body }, signal));
  }

  async findCharge(paymentId: string, signal?: AbortSignal): Promise<ChargeLookup> {
    const query = encodeURIComponent(`metadata['paymentId']:'${paymentId}'`);
    const answer = await this.call("GET", `/v1/charges/search?query=${query}`, {}, signal);
    if ("gaveUp" in answer) return { kind: "unknown", reason: "reason" in answer.gaveUp ? answer.gaveUp.reason : "no answer" };
    if (answer.status !== 200) return { kind: "unknown", reason: `provider answered ${answer.status}` };
    const charges = ((answer.body as { data?: { id: string; captured?: boolean }[] }).data ?? []).filter((charge) => charge.captured);
    return charges[0] ? { kind: "captured", ref: charges[0].id } : { kind: "none" };
  }

  close(): Promise<void> {
    return this.dispatcher.close();
  }

  private async call(method: "GET" | "POST", path: string, init: { idempotencyKey?: string; body?: unknown }, signal?: AbortSignal): Promise<Answer> {
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const deadline = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      const response = await fetch(new URL(path, this.options.baseUrl), {
        method,
        headers: { "content-type": "application/json", ...(init.idempotencyKey ? { "idempotency-key": init.idempotencyKey } : {}) },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: deadline,
        dispatcher: this.dispatcher,
      });
      return { status: response.status, body: await response.json().catch(() => ({})) };
    } catch (error) {
      if (timeout.aborted) return { gaveUp: { kind: "timeout", reason: `no answer within ${this.options.timeoutMs} ms` } };
      if (signal?.aborted) return { gaveUp: { kind: "timeout", reason: "the call was interrupted" } };
      // Refused before connecting: nothing was sent. Lost after that: the request may have been done.
      return { gaveUp: { kind: "transient", reason: `network error: ${describe(error)}`, mayHaveCharged: !neverConnected(error) && !neverConnected((error as { cause?: unknown }).cause) } };
    }
  }
}

function outcomeOf(answer: Answer): ProviderOutcome {
  if ("gaveUp" in answer) return answer.gaveUp;
  const { status, body } = answer;
  const failure = (body as ProviderError).error ?? {};
  if (status >= 200 && status < 300) {
    const id = (body as { id?: unknown }).id;
    return typeof id === "string" ? { kind: "succeeded", ref: id } : { kind: "transient", reason: "the provider's answer had no id" };
  }
  if (status === 402) return { kind: "declined", reason: failure.decline_code ?? failure.code ?? "declined" };
  const answered = `provider answered ${status}${failure.code ? ` ${failure.code}` : ""}`;
  // A 429 was refused before any work; a 5xx may come after the work was done.
  if (status === 429) return { kind: "transient", reason: answered };
  if (status >= 500) return { kind: "transient", reason: answered, mayHaveCharged: true };
  if (status === 409 && failure.code === "idempotency_key_in_use") return { kind: "transient", reason: answered, mayHaveCharged: true, stillProcessing: true };
  const reason = `provider answered ${status} ${failure.code ?? ""}: ${failure.message ?? ""}`.trim();
  return status === 409 && failure.code === "idempotency_key_reused" ? { kind: "rejected", reason, keyReused: true } : { kind: "rejected", reason };
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
