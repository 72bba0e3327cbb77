// A WebSocket client that leaves, or completes an operation, stops the work done for it, as an
// HTTP client that hangs up does: the subgraph calls in flight are aborted and a live
// subscription reads no more.
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { print, type ExecutionResult } from "graphql";
import { waitFor } from "#kernel/testing";
import type { GatewayContext } from "../src/gateway-context.js";
import { STATUS_PROBE_ALIAS } from "../src/subscriptions/subscription-to-query.js";
import { RawGraphQLSocket } from "../../test/support/raw-graphql-websocket.js";
import { startWebSocketGateway } from "./support/websocket-gateway.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const FOLLOW = { query: `subscription { orderStatusChanged(orderId: "o1") { status } }` };

/**
 * A gateway whose `{ slow }` operations wait on a subgraph that answers only when their signal
 * aborts (as the pooled data source's call then fails), and whose `{ fast }` answer at once.
 * The order's re-reads past the first wait the same way.
 */
function scriptedGateway() {
  const calls: { query: string; signal?: AbortSignal }[] = [];
  const pending = new Set<() => void>();
  const waitForAbort = (signal: AbortSignal | undefined) =>
    new Promise<ExecutionResult>((resolve) => {
      const answer = () => resolve({ errors: [{ message: "aborted", extensions: { code: "SERVICE_UNAVAILABLE" } }] as never });
      pending.add(answer);
      signal?.addEventListener("abort", answer, { once: true });
    });
  const execute = async (request: { query: unknown }, context: GatewayContext): Promise<ExecutionResult> => {
    const query = typeof request.query === "string" ? request.query : print(request.query as never);
    const reads = calls.filter((c) => c.query.includes("orderStatusChanged")).length;
    calls.push({ query, signal: context.signal });
    if (query.includes("slow")) return waitForAbort(context.signal);
    if (query.includes("orderStatusChanged") && reads > 0) return waitForAbort(context.signal);
    if (query.includes("orderStatusChanged")) return { data: { orderStatusChanged: { status: "PAID", [STATUS_PROBE_ALIAS]: "PAID" } } };
    return { data: { fast: true } };
  };
  return { calls, execute, release: () => pending.forEach((answer) => answer()) };
}

describe("WebSocket operations whose client is gone", () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  async function start() {
    const script = scriptedGateway();
    const gateway = await startWebSocketGateway({ execute: script.execute });
    cleanup = async () => {
      script.release();
      await gateway.close();
    };
    return { ...script, gateway };
  }

  it("closing the socket aborts the subgraph calls of the query it was waiting on", async () => {
    const { calls, gateway } = await start();
    const socket = await RawGraphQLSocket.connect(gateway.url, await gateway.token("u-close"));
    socket.subscribe("q", { query: "{ slow }" });
    await waitFor("the query runs", () => calls.length === 1, { timeoutMs: 2_000 });
    socket.close();
    await waitFor("its calls are aborted (the old endpoint gave them no signal)", () => calls[0]!.signal?.aborted === true, { timeoutMs: 2_000 });
  });

  it("a client's complete aborts its running query, sends nothing more for it, and the socket serves on", async () => {
    const { calls, gateway } = await start();
    const socket = await RawGraphQLSocket.connect(gateway.url, await gateway.token("u-complete"));
    socket.subscribe("q", { query: "{ slow }" });
    await waitFor("the query runs", () => calls.length === 1, { timeoutMs: 2_000 });
    socket.send({ id: "q", type: "complete" });
    await waitFor("its calls are aborted", () => calls[0]!.signal?.aborted === true, { timeoutMs: 2_000 });
    socket.subscribe("after", { query: "{ fast }" });
    assert.deepEqual((await socket.result("after")).next[0]!.payload, { data: { fast: true } });
    await sleep(50);
    assert.equal(socket.messages.find((m) => m.id === "q"), undefined, "nothing sent for the completed query");
    socket.close();
  });

  it("closing the socket aborts a live subscription's re-read in flight, and no change is read after it", async () => {
    const { calls, gateway } = await start();
    const reads = () => calls.filter((c) => c.query.includes("orderStatusChanged"));
    const socket = await RawGraphQLSocket.connect(gateway.url, await gateway.token("u-live"));
    socket.subscribe("live", FOLLOW);
    await socket.waitFor((m) => m.id === "live" && m.type === "next");
    gateway.orderChanged();
    await waitFor("the change is being read", () => reads().length === 2, { timeoutMs: 2_000 });
    socket.close();
    await waitFor("the re-read is aborted", () => reads()[1]!.signal?.aborted === true, { timeoutMs: 2_000 });
    gateway.orderChanged();
    await sleep(100);
    assert.equal(reads().length, 2, "no read after the socket closed");
  });

  it("a client's complete of a live subscription aborts its re-read in flight and ends it with nothing more sent", async () => {
    const { calls, gateway } = await start();
    const reads = () => calls.filter((c) => c.query.includes("orderStatusChanged"));
    const socket = await RawGraphQLSocket.connect(gateway.url, await gateway.token("u-live-complete"));
    socket.subscribe("live", FOLLOW);
    await socket.waitFor((m) => m.id === "live" && m.type === "next");
    gateway.orderChanged();
    await waitFor("the change is being read", () => reads().length === 2, { timeoutMs: 2_000 });
    socket.send({ id: "live", type: "complete" });
    await waitFor("the re-read is aborted", () => reads()[1]!.signal?.aborted === true, { timeoutMs: 2_000 });
    gateway.orderChanged();
    await sleep(100);
    assert.equal(reads().length, 2, "no read after the complete");
    assert.deepEqual(socket.messages.filter((m) => m.id === "live").map((m) => m.type), ["next"], "the first state only");
    socket.close();
  });
});
