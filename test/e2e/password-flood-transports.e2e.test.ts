// A flood of log-ins is met by the accounts subgraph's password line (password-work-gate.ts)
// whichever transport carries it: HTTP and graphql-ws reach the same line, keyed by the same
// client network.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startTestSupergraph, type TestSupergraph } from "../support/start-test-supergraph.js";
import { RawGraphQLSocket } from "../support/raw-graphql-websocket.js";

const LOG_IN = `mutation($email: String!, $password: String!) { logIn(email: $email, password: $password) { accessToken } }`;
const FLOOD = 10;

describe("a flood of log-ins over HTTP and over the WebSocket", () => {
  let sg: TestSupergraph;
  const email = `flood.${Date.now()}@example.com`;
  before(async () => {
    sg = await startTestSupergraph({
      env: {
        PASSWORD_CHECKS_AT_ONCE: "1",
        PASSWORD_CHECKS_PER_NETWORK: "3",
        // The line alone answers: the gateway's sign-in budget and the failure counts stay out of the way.
        RATE_LIMIT_AUTH_PER_MINUTE: "100000",
        LOGIN_FAILURES_PER_ACCOUNT: "100000",
        LOGIN_FAILURES_PER_ACCOUNT_ALL_NETWORKS: "100000",
        LOGIN_FAILURES_PER_ADDRESS: "100000",
        LOGIN_THROTTLE_WINDOW_SECONDS: "1",
      },
    });
    const signedUp = await sg.query(`mutation($input: SignUpInput!) { signUp(input: $input) { accessToken } }`, { input: { email, password: "correct horse battery", name: "Flood" } });
    assert.equal(signedUp.errors, undefined, JSON.stringify(signedUp.errors));
  });
  after(() => sg?.close());

  const codes = (errors: { extensions?: { code?: string }; message?: string }[][]) => errors.map((e) => (e.length === 0 ? "answered" : `${e[0]!.extensions?.code}${e[0]!.message?.includes("password checks") ? " (line)" : ""}`));

  it("over HTTP: past its network's places a log-in is refused at once, RATE_LIMITED, and the owner still signs in after", async () => {
    const answers = await Promise.all(Array.from({ length: FLOOD }, () => sg.query(LOG_IN, { email, password: "wrong guess" })));
    const seen = codes(answers.map((a) => (a.errors ?? []) as never));
    assert.ok(seen.includes("RATE_LIMITED (line)"), seen.join(", "));
    assert.ok(seen.every((c) => c === "RATE_LIMITED (line)" || c === "UNAUTHENTICATED"), seen.join(", "));
    const owner = await sg.query(LOG_IN, { email, password: "correct horse battery" });
    assert.equal(owner.errors, undefined, JSON.stringify(owner.errors));
  });

  it("over the WebSocket: the same line, the same refusal, the socket kept", async () => {
    const socket = await RawGraphQLSocket.connect(sg.gatewayUrl);
    try {
      for (let i = 0; i < FLOOD; i++) socket.subscribe(`flood-${i}`, { query: LOG_IN, variables: { email, password: "wrong guess" } });
      const results = await Promise.all(Array.from({ length: FLOOD }, (_, i) => socket.result(`flood-${i}`, 30_000)));
      const seen = codes(results.map((r) => ((r.next[0]?.payload as { errors?: unknown[] } | undefined)?.errors ?? (r.error?.payload as unknown[] | undefined) ?? []) as never));
      assert.ok(seen.includes("RATE_LIMITED (line)"), seen.join(", "));
      assert.ok(seen.every((c) => c === "RATE_LIMITED (line)" || c === "UNAUTHENTICATED"), seen.join(", "));
      assert.equal(socket.closed, undefined, "the socket is kept");
    } finally {
      socket.close();
    }
  });
});
