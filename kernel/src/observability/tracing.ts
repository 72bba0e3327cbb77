import { IncomingMessage } from "node:http";
import { createRequire } from "node:module";
import { SpanKind } from "@opentelemetry/api";
import type { Instrumentation } from "@opentelemetry/instrumentation";
import type { SpanExporter } from "@opentelemetry/sdk-trace-base";
import type { Logger } from "../logging/logger.js";
import { setTracingEnabled } from "./tracing-context.js";

export interface TracingOptions {
  /** `service.name` of every span this process exports. */
  serviceName: string;
  /** OTLP/HTTP base URL (`OTEL_EXPORTER_OTLP_ENDPOINT`); spans go to `<endpoint>/v1/traces`. */
  otlpEndpoint: string;
  /** Longest wait between two exports; a checkout's spans reach the collector within it. */
  exportDelayMs?: number;
}

export interface Tracing {
  /** Exports every ended span now (a test reads the collector next; a process stops). */
  flush(): Promise<void>;
}

/**
 * Modules whose exports the instrumentations patch. They are loaded through ES `import`,
 * which require hooks never see; requiring them once after the instrumentations are enabled
 * runs the hooks on the very exports object the imports hold, and the patches sit on shared
 * prototypes (pg's Client, ioredis, mongodb's Connection, http's Server), so every client,
 * made before or after, is traced. A module this installation lacks is skipped.
 */
const PATCHED_MODULES = ["http", "https", "pg", "pg-pool", "ioredis", "mongodb", "mongodb/lib/cmap/connection.js", "mongodb/lib/cmap/connect.js", "mongodb/lib/sessions.js"];

const ENTRY_KINDS = new Set([SpanKind.SERVER, SpanKind.PRODUCER, SpanKind.CONSUMER]);

/** Probes and scrapes would bury the requests in spans nobody asked for. */
const UNTRACED_PATHS = new Set(["/healthz", "/readyz", "/metrics"]);

let started: Promise<Tracing> | undefined;

/**
 * Traces this process over OTLP: the client request's server span (a W3C traceparent sent
 * by the client is continued), the gateway's plan and fetches, each subgraph call with its
 * traceparent (undici), PostgreSQL (pg and Prisma), MariaDB (Prisma), MongoDB and Redis
 * calls, and the event bus's publish and process spans (see tracing-events.ts). Once per
 * process: a second call returns the first one's handle. The SDK is imported here only,
 * so a process without an endpoint never loads it.
 */
export function startTracing(options: TracingOptions, logger: Logger, exporter?: SpanExporter): Promise<Tracing> {
  started ??= start(options, logger, exporter).catch((error: unknown) => {
    started = undefined;
    throw error;
  });
  return started;
}

async function start(options: TracingOptions, logger: Logger, testExporter?: SpanExporter): Promise<Tracing> {
  const [{ NodeTracerProvider }, { BatchSpanProcessor, ParentBasedSampler, SamplingDecision }, { resourceFromAttributes }, { OTLPTraceExporter }, instrumentations] = await Promise.all([
    import("@opentelemetry/sdk-trace-node"),
    import("@opentelemetry/sdk-trace-base"),
    import("@opentelemetry/resources"),
    import("@opentelemetry/exporter-trace-otlp-http"),
    loadInstrumentations(),
  ]);
  const exporter = testExporter ?? new OTLPTraceExporter({ url: `${options.otlpEndpoint.replace(/\/+$/, "")}/v1/traces`, timeoutMillis: 5_000 });
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": options.serviceName }),
    // A trace starts where work enters: a request served, an event published or delivered.
    // A client call or a query with no such span above it (health checks between replicas,
    // the outbox relay's and sweeps' polling through Prisma) would be a trace of its own,
    // several a second, with nothing to follow; they are not recorded.
    sampler: new ParentBasedSampler({
      root: {
        shouldSample: (_context, _traceId, _name, kind) => ({ decision: ENTRY_KINDS.has(kind) ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.NOT_RECORD }),
        toString: () => "EntryPointSampler",
      },
    }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: options.exportDelayMs ?? 1_000, maxQueueSize: 8_192, maxExportBatchSize: 1_024 })],
  });
  // The AsyncLocalStorage context manager and the W3C Trace Context propagator.
  provider.register();
  for (const instrumentation of instrumentations) {
    instrumentation.setTracerProvider(provider);
    instrumentation.enable();
  }
  const require = createRequire(import.meta.url);
  for (const name of PATCHED_MODULES) {
    try {
      require(name);
    } catch {
      // Not installed here: nothing of it to trace.
    }
  }
  setTracingEnabled(true);
  logger.info("tracing to OTLP", { endpoint: options.otlpEndpoint, serviceName: options.serviceName });
  return {
    flush: () => provider.forceFlush(),
  };
}

async function loadInstrumentations(): Promise<Instrumentation[]> {
  const [{ HttpInstrumentation }, { UndiciInstrumentation }, { PgInstrumentation }, { IORedisInstrumentation }, { MongoDBInstrumentation }, { PrismaInstrumentation }] = await Promise.all([
    import("@opentelemetry/instrumentation-http"),
    import("@opentelemetry/instrumentation-undici"),
    import("@opentelemetry/instrumentation-pg"),
    import("@opentelemetry/instrumentation-ioredis"),
    import("@opentelemetry/instrumentation-mongodb"),
    import("@prisma/instrumentation"),
  ]);
  // Database spans only inside a trace: a pool's keep-alive or a background sweep with no
  // request behind it would otherwise be a one-span trace of its own, many times a second.
  return [
    new HttpInstrumentation({
      ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.has((request.url ?? "/").split("?")[0]!),
      // Run after the span's attributes are set: its url.query keeps the names only.
      requestHook: (span, request) => {
        if (!(request instanceof IncomingMessage)) return;
        const query = namesOfQuery(request.url);
        if (query !== undefined) span.setAttribute("url.query", query);
      },
    }),
    // A request that already names its trace (a client's own traceparent) is its sender's.
    new UndiciInstrumentation({ ignoreRequestHook: (request) => carriesTraceparent(request.headers) }),
    new PgInstrumentation({ requireParentSpan: true }),
    // A command's name and how many arguments it had: its keys name customers (the log-in
    // throttle's holds the email), and the default kept every argument of GET, DEL and EVAL.
    new IORedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: (command, args) => `${command} [${args.length} arguments]` }),
    new MongoDBInstrumentation({ requireParentSpan: true }),
    new PrismaInstrumentation({ ignoreSpanTypes: ["prisma:client:serialize", "prisma:client:connect"] }),
  ];
}

/**
 * A request's query string with every value replaced by REDACTED (the instrumentation's word).
 * The values may be secrets: a mailed reset link a mail client rewrote to `?token=`, a
 * GraphQL GET's query and variables (a mutation sent by GET is refused, but its span was
 * recorded first). The instrumentation redacts a few cloud signature names only, and the trace
 * store keeps what it is sent for as long as it keeps traces.
 */
export function namesOfQuery(url: string | undefined): string | undefined {
  const at = url?.indexOf("?") ?? -1;
  if (at < 0) return undefined;
  const names = [...new URLSearchParams(url!.slice(at + 1)).keys()];
  return names.map((name) => `${encodeURIComponent(name)}=REDACTED`).join("&");
}

function carriesTraceparent(headers: string | (string | string[])[]): boolean {
  if (typeof headers === "string") return /(^|\r\n)traceparent:/i.test(headers);
  // Flat name, value, name, value...: the names are at even positions.
  return headers.some((entry, i) => i % 2 === 0 && typeof entry === "string" && entry.toLowerCase() === "traceparent");
}
