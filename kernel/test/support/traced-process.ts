import { SpanKind, trace, type Span, type SpanContext } from "@opentelemetry/api";
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { createLogger } from "#kernel";
import { startTracing, type Tracing } from "../../src/observability/tracing.js";

/**
 * Tracing for a test process, exported to memory instead of a collector: one per process,
 * as in production (the file's tests share it and tell their spans apart by id).
 */
export async function traceThisProcess(): Promise<{ finished(): Promise<ReadableSpan[]>; inSpan<T>(name: string, work: (span: SpanContext) => Promise<T>): Promise<T> }> {
  const exporter = new InMemorySpanExporter();
  const tracing: Tracing = await startTracing({ serviceName: "kernel-test", otlpEndpoint: "http://127.0.0.1:9", exportDelayMs: 20 }, createLogger("silent"), exporter);
  const tracer = trace.getTracer("kernel-test");
  return {
    async finished() {
      await tracing.flush();
      return exporter.getFinishedSpans();
    },
    inSpan: (name, work) =>
      // A server span, as a request's is: a trace starts only at such an entry point.
      tracer.startActiveSpan(name, { kind: SpanKind.SERVER }, async (span: Span) => {
        try {
          return await work(span.spanContext());
        } finally {
          span.end();
        }
      }),
  };
}

/** What a handler saw of the trace it ran in. */
export function activeSpanIds(): { traceId: string; spanId: string } | undefined {
  const context = trace.getActiveSpan()?.spanContext();
  return context ? { traceId: context.traceId, spanId: context.spanId } : undefined;
}
