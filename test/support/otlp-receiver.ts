import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { CollectedSpan, SpanSource } from "./collected-spans.js";

type OtlpValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
type OtlpAttribute = { key: string; value: OtlpValue };
interface OtlpExport {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: { spans?: { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; attributes?: OtlpAttribute[]; links?: { traceId: string; spanId: string }[] }[] }[];
  }[];
}

const KINDS: CollectedSpan["kind"][] = ["internal", "internal", "server", "client", "producer", "consumer"];

/**
 * An OTLP/HTTP (JSON) trace receiver in the test process: where no real collector runs
 * (the embedded engine set), the tracing test still sends its spans over OTLP as a process
 * in production does, and reads them back here.
 */
export async function startOtlpReceiver(): Promise<SpanSource> {
  const spans: CollectedSpan[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      if (req.method !== "POST" || req.url !== "/v1/traces" || !(req.headers["content-type"] ?? "").includes("json")) {
        res.writeHead(415).end();
        return;
      }
      try {
        spans.push(...spansOf(JSON.parse(Buffer.concat(chunks).toString("utf8")) as OtlpExport));
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    otlpEndpoint: `http://127.0.0.1:${port}`,
    trace: async (traceId) => spans.filter((span) => span.traceId === traceId),
    named: async (service, name) => spans.filter((span) => span.service === service && span.name === name),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function spansOf(request: OtlpExport): CollectedSpan[] {
  return (request.resourceSpans ?? []).flatMap((resource) => {
    const service = String(attributesOf(resource.resource?.attributes)["service.name"] ?? "");
    return (resource.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId ?? "",
        name: span.name,
        kind: KINDS[span.kind] ?? "internal",
        service,
        attributes: attributesOf(span.attributes),
        links: (span.links ?? []).map(({ traceId, spanId }) => ({ traceId, spanId })),
      })),
    );
  });
}

function attributesOf(attributes: OtlpAttribute[] = []): CollectedSpan["attributes"] {
  const out: CollectedSpan["attributes"] = {};
  for (const { key, value } of attributes) {
    const v = value.stringValue ?? value.boolValue ?? value.doubleValue ?? (value.intValue === undefined ? undefined : Number(value.intValue));
    if (v !== undefined) out[key] = v;
  }
  return out;
}
