/** A span as a test reads it back from a collector, whichever collector it was. */
export interface CollectedSpan {
  traceId: string;
  spanId: string;
  /** Empty for a trace's root span. */
  parentSpanId: string;
  name: string;
  kind: "server" | "client" | "producer" | "consumer" | "internal";
  service: string;
  attributes: Record<string, string | number | boolean>;
  /** Spans of other traces (or this one) this span says it follows from (OpenTelemetry links). */
  links: { traceId: string; spanId: string }[];
}

/** Where a test looks spans up: Jaeger's query API or the in-test OTLP receiver. */
export interface SpanSource {
  /** The collector's OTLP/HTTP base URL, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  otlpEndpoint: string;
  /** Every span of one trace that has arrived so far. */
  trace(traceId: string): Promise<CollectedSpan[]>;
  /** Spans of `service` named `name`, from any trace. */
  named(service: string, name: string): Promise<CollectedSpan[]>;
  close(): Promise<void>;
}
