// What a trace keeps of a request's data: a query string by its names only (a mailed link a
// mail client rewrote to ?token=..., or a GraphQL GET's variables, would otherwise sit in the
// trace store for as long as it keeps traces), a Redis command by its name (keys hold emails).
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { it } from "node:test";
import { SpanKind } from "@opentelemetry/api";
import { RedisKeyValueStore } from "#kernel/adapters.ts";
import { describeWithRealEngine } from "#kernel/testing";
import { traceThisProcess } from "./support/traced-process.js";

const traced = await traceThisProcess();

it("keeps a request's query parameter names in its server span and none of their values", async () => {
  const server = createServer((_req, res) => res.end("ok"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const secrets = ["reset-token-0123456789abcdef", "hunter2-password", "ord_secret_42"];
    for (const path of [
      `/shop/reset-password?token=${secrets[0]}`,
      `/graphql?query=${encodeURIComponent(`mutation { logIn(email: "a@example.com", password: "${secrets[1]}") { accessToken } }`)}`,
      `/graphql?query=${encodeURIComponent("query($id: ID!) { order(id: $id) { id } }")}&variables=${encodeURIComponent(JSON.stringify({ id: secrets[2] }))}`,
    ]) {
      // A sampled trace of the caller's own, as a client outside this process sends: a call made
      // here would carry this process's unsampled client context.
      await (await fetch(`${base}${path}`, { headers: { traceparent: `00-${randomBytes(16).toString("hex")}-${randomBytes(8).toString("hex")}-01` } })).text();
    }
    const served = (await traced.finished()).filter((span) => span.kind === SpanKind.SERVER && String(span.attributes["url.path"] ?? "").match(/^\/(shop|graphql)/));
    assert.equal(served.length, 3, served.map((span) => span.name).join(", "));
    const recorded = JSON.stringify(served.map((span) => span.attributes));
    for (const secret of secrets) assert.ok(!recorded.includes(secret), `${secret} is in a span: ${recorded.slice(0, 600)}`);
    assert.deepEqual(
      served.map((span) => span.attributes["url.query"]),
      ["token=REDACTED", "query=REDACTED", "query=REDACTED&variables=REDACTED"],
    );
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

describeWithRealEngine({ suite: "tracing Redis commands", engine: "redis", variable: "REDIS_URL" }, (url) => {
  it("names a Redis command and not its keys or values: a log-in throttle's key holds the email", async () => {
    const store = new RedisKeyValueStore(url);
    await store.connect();
    try {
      const email = `traced-${randomUUID()}@example.com`;
      const request = await traced.inSpan("request", async (span) => {
        await store.set(`login:account:${email}`, "secret-value-1", 60);
        await store.get(`login:account:${email}`);
        await store.delete(`login:account:${email}`);
        return span;
      });
      const commands = (await traced.finished()).filter((span) => span.spanContext().traceId === request.traceId && span.kind === SpanKind.CLIENT);
      assert.ok(commands.length >= 3, `Redis spans: ${commands.map((span) => span.name).join(", ")}`);
      const recorded = JSON.stringify(commands.map((span) => [span.name, span.attributes]));
      assert.ok(!recorded.includes(email) && !recorded.includes("secret-value-1"), recorded.slice(0, 600));
    } finally {
      await store.close();
    }
  });
});
