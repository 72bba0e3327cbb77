// Adversarial: a document just under the limit of same-named field pairs validation compares
// (MAX_FIELD_COMPARISONS, 2,000) is admitted; ten of them split over a batch, one WebSocket or
// GET requests must cost the caller ten times one, never one request's worth, so splitting the
// work does not multiply what a budget buys. What each way costs the process is told (counted,
// not judged: the machine is shared).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { parse } from "graphql";
import { startTestSupergraph, type TestSupergraph } from "../support/start-test-supergraph.js";
import { RawGraphQLSocket } from "../support/raw-graphql-websocket.js";
import { documentFieldComparisons } from "../../gateway/src/security/field-comparisons.js";

const BUDGET = 12;
const rep = (k: number, field: () => string) => Array.from({ length: k }, field).join(" ");
/** `parent` selected 3, 3 and 2 times at three levels, `slug name` the leaves: 1,974 pairs, 537 characters. */
const tree = (copies: number[]): string => (copies.length === 0 ? "slug name" : rep(copies[0]!, () => `parent { ${tree(copies.slice(1))} }`));
let serial = 0;
/** A new text each time (nothing parsed, validated or planned before), just under the limit. */
const nearLimit = (slug: string) => `{ category(slug: "${slug}") { ${tree([3, 3, 2])} } } # ${++serial}`;
const cpuMs = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
  const started = process.cpuUsage();
  const result = await work();
  const { user, system } = process.cpuUsage(started);
  return [result, (user + system) / 1000];
};

describe("documents just under the pairs limit, ten at a time", () => {
  let sg: TestSupergraph;
  let slug: string;
  before(async () => {
    // A cost budget wide enough for ten new texts at once (each holds a planning deposit until
    // planned): what is counted here is the general budget.
    sg = await startTestSupergraph({ env: { RATE_LIMIT_PER_MINUTE: String(BUDGET), RATE_LIMIT_COST_PER_MINUTE: "1000000" } });
    slug = (await sg.query(`{ categories { slug } }`, {}, await sg.token(`slugs-${randomUUID()}`))).data!.categories[0].slug;
  });
  after(() => sg.close());

  const post = async (token: string, body: unknown) => {
    const response = await fetch(sg.gatewayUrl, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as any };
  };
  const get = async (token: string, query: string) => {
    const response = await fetch(`${sg.gatewayUrl}?query=${encodeURIComponent(query)}`, { headers: { "apollo-require-preflight": "true", authorization: `Bearer ${token}` } });
    return { status: response.status, body: (await response.json()) as any };
  };

  it("is admitted, and served, just under the limit", async () => {
    const text = nearLimit(slug);
    const pairs = documentFieldComparisons(parse(text));
    assert.ok(pairs > 1_900 && pairs <= 2_000, `${pairs} pairs`);
    const served = await post(await sg.token(`one-${randomUUID()}`), { query: text });
    assert.equal(served.status, 200, JSON.stringify(served.body));
    assert.equal(served.body.errors, undefined);
    assert.equal(served.body.data.category.parent, null, "a root category: its parents are null");
  });

  it("charges a batch of ten a general point each: the caller has two left", async (t) => {
    const token = await sg.token(`batch-${randomUUID()}`);
    const reads = await sg.token(`reads-${randomUUID()}`);
    const [, readsMs] = await cpuMs(() => post(reads, Array.from({ length: 10 }, () => ({ query: `{ category(slug: "${slug}") { slug name } } # ${++serial}` }))));
    const [batch, ms] = await cpuMs(() => post(token, Array.from({ length: 10 }, () => ({ query: nearLimit(slug) }))));
    t.diagnostic(`a batch of ten near-limit documents: ${ms.toFixed(1)} ms of the process's CPU; of ten new reads of the category: ${readsMs.toFixed(1)} ms`);
    assert.equal(batch.status, 200);
    assert.equal(batch.body.length, 10);
    for (const answer of batch.body) assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
    const three = await post(token, Array.from({ length: 3 }, () => ({ query: nearLimit(slug) })));
    assert.equal(three.status, 429, "three more would make thirteen");
    assert.equal(three.body.errors[0].extensions.code, "RATE_LIMITED");
    const two = await post(token, Array.from({ length: 2 }, () => ({ query: nearLimit(slug) })));
    assert.equal(two.status, 200, "the two left are there");
    assert.equal((await post(token, { query: nearLimit(slug) })).status, 429);
  });

  it("charges ten subscribes sent at once on one WebSocket a general point each, and refuses the thirteenth", async (t) => {
    const token = await sg.token(`socket-${randomUUID()}`);
    const socket = await RawGraphQLSocket.connect(sg.gatewayUrl, token);
    const [results, ms] = await cpuMs(async () => {
      for (let i = 0; i < 10; i++) socket.subscribe(`q${i}`, { query: nearLimit(slug) });
      return Promise.all(Array.from({ length: 10 }, (_, i) => socket.result(`q${i}`)));
    });
    t.diagnostic(`ten near-limit documents on one WebSocket: ${ms.toFixed(1)} ms of the process's CPU`);
    for (const { next, error } of results) {
      assert.equal(error, undefined, JSON.stringify(error));
      assert.equal(next[0]!.payload.data.category.parent, null);
    }
    for (const id of ["q10", "q11"]) {
      socket.subscribe(id, { query: nearLimit(slug) });
      assert.equal((await socket.result(id)).error, undefined, id);
    }
    socket.subscribe("q12", { query: nearLimit(slug) });
    const refused = (await socket.result("q12")).error?.payload?.[0];
    assert.equal(refused?.extensions?.code, "RATE_LIMITED", JSON.stringify(refused));
    // A caller that can run nothing has its socket closed, as HTTP closes a 429's connection.
    assert.equal((await socket.closedWith()).code, 1013);
  });

  it("charges each GET a general point, and refuses the thirteenth", async (t) => {
    const token = await sg.token(`get-${randomUUID()}`);
    let ms = 0;
    for (let i = 0; i < BUDGET; i++) {
      const [answer, spent] = await cpuMs(() => get(token, nearLimit(slug)));
      ms += spent;
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
    }
    t.diagnostic(`${BUDGET} near-limit documents by GET: ${ms.toFixed(1)} ms of the process's CPU`);
    const refused = await get(token, nearLimit(slug));
    assert.equal(refused.status, 429);
    assert.equal(refused.body.errors[0].extensions.code, "RATE_LIMITED");
  });

  it("refuses ten documents one pair over the limit as a whole batch, before validating any", async () => {
    const over = (n: number) => `{ category(slug: "${slug}") { ${rep(3, () => `parent { ${rep(3, () => `parent { ${rep(3, () => "parent { slug }")} }`)} }`)} } } # over ${n}`;
    assert.equal(documentFieldComparisons(parse(over(0))), 2_001);
    const token = await sg.token(`over-${randomUUID()}`);
    const refused = await post(token, [{ query: nearLimit(slug) }, ...Array.from({ length: 9 }, (_, n) => ({ query: over(n) }))]);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.errors[0].extensions.code, "QUERY_TOO_COMPLEX");
    assert.equal(refused.body.errors[0].extensions.comparisons, 2_001);
    assert.doesNotMatch(JSON.stringify(refused.body), /\bat \w+ \(|\.ts:\d+|node_modules/);
  });
});
