// Tracing is configured by the standard OpenTelemetry variables, checked at start like every
// other setting: a bad endpoint fails the start instead of silently tracing nowhere.
import assert from "node:assert/strict";
import { it } from "node:test";
import { ConfigError, loadConfig } from "#kernel";

it("tracing is off without OTEL_EXPORTER_OTLP_ENDPOINT, and its spans are named storefront unless OTEL_SERVICE_NAME says otherwise", () => {
  assert.deepEqual(loadConfig({ APP_ENV: "test" }).tracing, { otlpEndpoint: undefined, serviceName: "storefront" });
  assert.deepEqual(loadConfig({ APP_ENV: "test", OTEL_EXPORTER_OTLP_ENDPOINT: "", OTEL_SERVICE_NAME: "storefront-orders" }).tracing, { otlpEndpoint: undefined, serviceName: "storefront-orders" });
  assert.equal(loadConfig({ APP_ENV: "test", OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" }).tracing.otlpEndpoint, "http://127.0.0.1:4318");
});

it("an endpoint that is not an http(s) URL is refused at start, naming the variable", () => {
  for (const endpoint of ["127.0.0.1:4318", "ftp://collector:4318", "file:///etc/passwd", "javascript:alert(1)", "http://", " "]) {
    assert.throws(() => loadConfig({ APP_ENV: "test", OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }), (error: unknown) => error instanceof ConfigError && error.message.includes("OTEL_EXPORTER_OTLP_ENDPOINT"), endpoint);
  }
});
