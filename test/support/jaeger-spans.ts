import type { CollectedSpan, SpanSource } from "./collected-spans.js";

interface JaegerTrace {
  spans: { traceID: string; spanID: string; operationName: string; processID: string; references?: { refType: string; traceID: string; spanID: string }[]; tags?: { key: string; value: string | number | boolean }[] }[];
  processes: Record<string, { serviceName: string }>;
}

/** Spans read back from a running Jaeger through its query API (`/api/traces`). */
export function jaegerSpans(queryUrl: string, otlpEndpoint: string): SpanSource {
  const get = async (path: string): Promise<CollectedSpan[]> => {
    const response = await fetch(`${queryUrl.replace(/\/+$/, "")}${path}`);
    // A trace id Jaeger has not received a span of yet is a 404, not an empty answer.
    if (response.status === 404) return [];
    if (!response.ok) throw new Error(`Jaeger ${path}: HTTP ${response.status}`);
    const { data } = (await response.json()) as { data: JaegerTrace[] | null };
    return (data ?? []).flatMap(spansOf);
  };
  return {
    otlpEndpoint,
    trace: (traceId) => get(`/api/traces/${traceId}`),
    named: async (service, name) =>
      (await get(`/api/traces?service=${encodeURIComponent(service)}&operation=${encodeURIComponent(name)}&lookback=1h&limit=20`)).filter((span) => span.service === service && span.name === name),
    close: async () => {},
  };
}

function spansOf(trace: JaegerTrace): CollectedSpan[] {
  return trace.spans.map((span) => {
    const attributes = Object.fromEntries((span.tags ?? []).map((tag) => [tag.key, tag.value]));
    const parent = span.references?.find((reference) => reference.refType === "CHILD_OF");
    return {
      // Jaeger drops leading zeros of ids; OTLP and W3C keep them.
      traceId: span.traceID.padStart(32, "0"),
      spanId: span.spanID.padStart(16, "0"),
      parentSpanId: parent ? parent.spanID.padStart(16, "0") : "",
      name: span.operationName,
      kind: String(attributes["span.kind"] ?? "internal") as CollectedSpan["kind"],
      service: trace.processes[span.processID]?.serviceName ?? "",
      attributes,
      // Jaeger keeps OpenTelemetry links as FOLLOWS_FROM references.
      links: (span.references ?? []).filter((reference) => reference.refType === "FOLLOWS_FROM").map((reference) => ({ traceId: reference.traceID.padStart(32, "0"), spanId: reference.spanID.padStart(16, "0") })),
    };
  });
}
