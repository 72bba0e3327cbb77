// Random operations built from the supergraph's own schema (fragments, aliases, nesting,
// batches, hostile argument values) over HTTP and WebSocket: whatever arrives, the gateway
// answers with a coded client error or a result, never a 5xx or internals, quickly, and
// never runs more budgeted work than the budget allows.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { buildClientSchema, getIntrospectionQuery, type IntrospectionQuery } from "graphql";
import { isPublicErrorCode } from "#kernel";
import { startTestSupergraph, type TestSupergraph } from "../support/start-test-supergraph.js";
import { RawGraphQLSocket } from "../support/raw-graphql-websocket.js";
import { createOperationGenerator, seededRandom, type GeneratedOperation } from "../support/random-operations.js";

const SEED = Number(process.env.GENERATED_OPERATIONS_SEED ?? 20261202);
const OPERATIONS = 400;
const SEARCH_BUDGET = 25;
/** Refusals decided before execution: nothing of the operation ran. */
const REFUSED_BEFORE_RUNNING = new Set(["RATE_LIMITED", "QUERY_TOO_COMPLEX", "BAD_USER_INPUT", "GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "OPERATION_NOT_ALLOWED"]);

type Answer = { status: number; errors: { message: string; extensions?: Record<string, unknown> }[]; ranAtAll: boolean };

function judge(status: number, body: any): Answer[] {
  const bodies = Array.isArray(body) ? body : [body];
  return bodies.map((one) => {
    const errors = (one?.errors ?? []) as Answer["errors"];
    const topLevelRefusal = one?.data === undefined && errors.some((e) => REFUSED_BEFORE_RUNNING.has(String(e.extensions?.code)));
    return { status, errors, ranAtAll: !topLevelRefusal };
  });
}

describe(`generated operations (seed ${SEED}): no 5xx, no internals, bounded time, budgets charged`, () => {
  let sg: TestSupergraph;
  let token: string;
  let generator: ReturnType<typeof createOperationGenerator>;
  const random = seededRandom(SEED);
  let searchRunsExecuted = 0;
  let slowest = 0;

  before(async () => {
    // Budgets lifted (the search one aside): this probes what operations do, not how often they may
    // come, nor what planning each new text is charged.
    sg = await startTestSupergraph({ env: { RATE_LIMIT_PER_MINUTE: "100000", RATE_LIMIT_COST_PER_MINUTE: "100000000", WS_MAX_MESSAGES_PER_SECOND: "100000", RATE_LIMIT_SEARCH_PER_MINUTE: String(SEARCH_BUDGET), RATE_LIMIT_AUTH_PER_MINUTE: "1000" } });
    token = await sg.token("generated-ops");
    const introspection = await sg.query<IntrospectionQuery>(getIntrospectionQuery(), {}, token);
    generator = createOperationGenerator(buildClientSchema(introspection.data!), random);
  });
  after(() => sg.close());

  function check(answers: Answer[], operations: GeneratedOperation[], transport: string) {
    for (const [i, answer] of answers.entries()) {
      const label = `${transport}: ${operations[i]?.query.slice(0, 300)}`;
      assert.ok(answer.status < 500, `${answer.status} for ${label}`);
      for (const error of answer.errors) {
        assert.ok(isPublicErrorCode(error.extensions?.code), `uncoded error ${JSON.stringify(error)} for ${label}`);
        assert.notEqual(error.extensions?.code, "INTERNAL_SERVER_ERROR", `internal error for ${label}`);
        assert.doesNotMatch(JSON.stringify(error), /\.ts:\d+|node_modules|prisma|SELECT |stacktrace|e\.toJSON/i, label);
      }
      if (answer.ranAtAll) searchRunsExecuted += operations[i]?.searchRuns ?? 0;
    }
  }

  it(`answers ${OPERATIONS} random operations, single and batched, over HTTP`, async () => {
    for (let sent = 0; sent < OPERATIONS; ) {
      const batch = random.chance(0.15) ? Array.from({ length: 1 + random.int(12) }, () => generator.next()) : [generator.next()];
      sent += batch.length;
      const body = batch.length === 1 && random.chance(0.8) ? { query: batch[0]!.query } : batch.map((op) => ({ query: op.query }));
      const started = performance.now();
      const response = await fetch(sg.gatewayUrl, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
      const json = await response.json();
      slowest = Math.max(slowest, performance.now() - started);
      const answers = judge(response.status, json);
      // A refused batch answers once for all of its operations.
      check(answers.length === batch.length ? answers : batch.map(() => answers[0]!), batch, "http");
    }
  });

  it(`answers ${OPERATIONS / 2} random operations over WebSocket on one connection`, async () => {
    const socket = await RawGraphQLSocket.connect(sg.gatewayUrl, token);
    try {
      for (let i = 0; i < OPERATIONS / 2; i++) {
        const operation = generator.next();
        const started = performance.now();
        socket.subscribe(`g${i}`, { query: operation.query });
        const { next, error } = await socket.result(`g${i}`);
        slowest = Math.max(slowest, performance.now() - started);
        const answers = error ? judge(400, { errors: error.payload }) : judge(200, next[0]?.payload ?? {});
        check(answers, [operation], "websocket");
        assert.equal(socket.closed, undefined, `the socket survived ${operation.query.slice(0, 300)}`);
      }
    } finally {
      socket.close();
    }
  });

  it("never ran more searches than the search budget, and judged every request quickly", () => {
    assert.ok(searchRunsExecuted <= SEARCH_BUDGET, `${searchRunsExecuted} searches ran against a budget of ${SEARCH_BUDGET}`);
    // A loose bound: a linear refusal takes milliseconds; an exponential walk took seconds.
    assert.ok(slowest < 2_000, `slowest answer ${slowest} ms`);
  });
});
