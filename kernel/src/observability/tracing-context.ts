import { context, propagation, ROOT_CONTEXT, trace, type Context } from "@opentelemetry/api";

/**
 * A trace context in W3C Trace Context form, as it travels outside the process: in HTTP
 * headers, Kafka message headers and outbox rows. Only the OpenTelemetry API is imported
 * here, so code that merely carries a context loads nothing of the SDK.
 */
export interface TraceCarrier {
  traceparent: string;
  tracestate?: string;
}

// version-traceid-parentid-flags; an all-zero trace or span id is invalid (W3C section 3.2).
const TRACEPARENT = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;
/** W3C caps tracestate at 32 members of at most 256 characters; anything longer is not one. */
const MAX_TRACESTATE = 512;

let enabled = false;

/**
 * Whether this process exports traces. Off, every helper here returns at once without
 * touching the context, so carrying traces costs one boolean test per event or log line.
 */
export function tracingEnabled(): boolean {
  return enabled;
}

/** Set by the tracing start and stop only. */
export function setTracingEnabled(on: boolean): void {
  enabled = on;
}

/** The active trace as a carrier, or undefined when tracing is off or no span is active. */
export function activeTraceCarrier(active: Context = context.active()): TraceCarrier | undefined {
  if (!enabled || !trace.getSpanContext(active)) return undefined;
  const headers: Record<string, string> = {};
  propagation.inject(active, headers);
  return traceCarrierFrom(headers);
}

/**
 * A carrier read from untrusted text (message headers, stored rows): kept only when it is a
 * well-formed traceparent, so a hostile or damaged value can neither break a consumer nor
 * smuggle an oversized string into every span and log line that follows.
 */
export function traceCarrierFrom(source: { traceparent?: unknown; tracestate?: unknown } | undefined | null): TraceCarrier | undefined {
  const traceparent = source?.traceparent;
  if (typeof traceparent !== "string" || !TRACEPARENT.test(traceparent)) return undefined;
  const tracestate = source?.tracestate;
  return typeof tracestate === "string" && tracestate.length > 0 && tracestate.length <= MAX_TRACESTATE ? { traceparent, tracestate } : { traceparent };
}

/** The context a carried trace continues in; without one, a new trace starts from the root. */
export function contextFromCarrier(carrier: TraceCarrier | undefined): Context {
  return carrier ? propagation.extract(ROOT_CONTEXT, carrier) : ROOT_CONTEXT;
}

/** Trace and span id of the active span, for log lines; undefined when tracing is off. */
export function activeTraceIds(): { traceId: string; spanId: string } | undefined {
  if (!enabled) return undefined;
  const span = trace.getSpanContext(context.active());
  return span && trace.isSpanContextValid(span) ? { traceId: span.traceId, spanId: span.spanId } : undefined;
}

/**
 * Runs `work` outside any trace: what it starts is a new trace, or continues the one it is
 * given explicitly, never whatever polling loop happened to call it.
 */
export function outsideAnyTrace<T>(work: () => T): T {
  return enabled ? context.with(ROOT_CONTEXT, work) : work();
}
