import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { createRequestPolicy } from "../src/security/request-policy.js";
import { createCallerRateLimiter } from "../src/rate-limit/caller-rate-limiter.js";
import type { PersistedOperationCheck } from "../src/security/persisted-operations.js";
import { allowAll, costing, limits, policyWithCostBudget } from "./support/cost-budget-policy.js";
import { refusal } from "./support/policy-refusal.js";

describe("cost budget: what a caller spends a minute, not how many operations", () => {
  const alice = { key: "user:alice", network: "ip:192.0.2.1", site: undefined };

  it("charges the values of an operation's variables past the first 200, and keeps them charged once it has run", async () => {
    const policy = policyWithCostBudget(10_000);
    const filters = (count: number) => ({
      query: `query($o: [OptionFilterInput!]) { products(first: 5, filter: { options: $o }) { edges { node { id } } } }`,
      variables: { o: Array.from({ length: count }, (_, i) => ({ name: "c", values: [`r${i % 10}`] })) },
    });
    // 49 filters (197 values: the list, and an object, a name, a list and its value each) cost nothing more.
    const [small] = await policy.admit([filters(49)], alice, "http-post");
    assert.equal(small!.inputCost, 0);
    // 1,250 filters: 5,001 values, 4,801 points; what the answer did not cost goes back, they do not.
    const [large] = await policy.admit([filters(1_250)], alice, "http-post");
    assert.equal(large!.inputCost, 4_801);
    await policy.settle(large!, large!.charged, { data: null, errors: [{ path: ["products"] }] });
    const [again] = await policy.admit([filters(1_250)], alice, "http-post");
    await policy.settle(again!, again!.charged, { data: null, errors: [{ path: ["products"] }] });
    const refused = await refusal(policy.admit([filters(1_250)], alice, "http-post"));
    assert.equal(refused.code, "RATE_LIMITED", "a third is over 10,000 points");
    assert.equal(refused.extensions.budget, "cost");
  });

  it("charges a subscription's variables over the WebSocket as over HTTP, and again on every re-read", async () => {
    const policy = policyWithCostBudget(10_000);
    const filters = {
      query: `query($o: [OptionFilterInput!]) { products(first: 5, filter: { options: $o }) { edges { node { id } } } }`,
      variables: { o: Array.from({ length: 1_250 }, (_, i) => ({ name: "c", values: [`r${i % 10}`] })) },
    };
    const [admitted] = await policy.admit([filters], alice, "websocket");
    assert.equal(admitted!.inputCost, 4_801);
    await policy.settle(admitted!, admitted!.charged, { data: null, errors: [{ path: ["products"] }] });
    // One re-read fits what is left of the minute; the next would take the values' points a third time.
    await policy.readmit(admitted!, alice);
    const refused = await refusal(policy.readmit(admitted!, alice));
    assert.equal(refused.code, "RATE_LIMITED");
    assert.equal(refused.extensions.budget, "cost");
  });

  it("refuses RATE_LIMITED with retryAfterSeconds once a caller's operations have spent the minute's cost, whatever their count", async () => {
    const policy = policyWithCostBudget(10_000);
    for (let i = 0; i < 4; i++) await policy.admit([costing(2_500)], alice, "http-post");
    const refused = await refusal(policy.admit([costing(2)], alice, "http-post"));
    assert.equal(refused.status, 429);
    assert.equal(refused.code, "RATE_LIMITED");
    assert.equal(refused.extensions.budget, "cost");
    assert.ok(refused.retryAfterSeconds! >= 1 && refused.retryAfterSeconds! <= 60);
    assert.equal(refused.extensions.retryAfterSeconds, refused.retryAfterSeconds);
    // Another caller's budget is their own.
    await policy.admit([costing(2_500)], { key: "user:bob", network: "ip:198.51.100.7", site: undefined }, "http-post");
  });

  it("charges a batch its summed cost, all or nothing", async () => {
    const policy = policyWithCostBudget(10_000);
    await policy.admit(Array.from({ length: 4 }, () => costing(2_000)), alice, "http-post");
    const refused = await refusal(policy.admit([costing(1_000), costing(1_001)], alice, "http-post"));
    assert.equal(refused.extensions.budget, "cost");
    // The refused batch spent nothing: 2,000 are still there.
    await policy.admit([costing(1_000), costing(1_000)], alice, "http-post");
  });

  it("refuses a request costing more than a whole minute's budget as too complex (no retry could pass), without spending any of it", async () => {
    const policy = policyWithCostBudget(10_000);
    const refused = await refusal(policy.admit(Array.from({ length: 3 }, () => costing(4_000)), alice, "http-post"));
    assert.deepEqual([refused.status, refused.code], [400, "QUERY_TOO_COMPLEX"]);
    await policy.admit([costing(5_000), costing(5_000)], alice, "http-post");
  });

  it("pools a network's guests at ten times the budget, apart from its signed-in callers' ceiling: guests spending it refuse no customer, and customers spending theirs refuse no guest", async () => {
    const policy = policyWithCostBudget(5_000);
    const guest = { key: "ip:203.0.113.50", network: "ip:203.0.113.50", site: undefined };
    for (let i = 0; i < 10; i++) await policy.admit([costing(5_000)], guest, "http-post");
    assert.equal((await refusal(policy.admit([costing(10)], guest, "http-post"))).extensions.budget, "cost", "the guests' pool is spent");
    for (let i = 0; i < 10; i++) await policy.admit([costing(5_000)], { key: `user:office-${i}`, network: guest.network, site: undefined }, "http-post");
    assert.equal((await refusal(policy.admit([costing(10)], { key: "user:office-10", network: guest.network, site: undefined }, "http-post"))).extensions.budget, "cost", "the customers' ceiling is spent");
    const other = { key: "ip:203.0.113.51", network: "ip:203.0.113.51", site: undefined };
    await policy.admit([costing(5_000)], other, "http-post");
  });

  it("bounds a network's callers together at ten times the budget: fresh accounts do not multiply it", async () => {
    const policy = policyWithCostBudget(5_000);
    for (let i = 0; i < 10; i++) await policy.admit([costing(5_000)], { key: `user:fresh-${i}`, network: "ip:203.0.113.9", site: undefined }, "http-post");
    const refused = await refusal(policy.admit([costing(10)], { key: "user:fresh-10", network: "ip:203.0.113.9", site: undefined }, "http-post"));
    assert.equal(refused.extensions.budget, "cost");
  });
});

describe("cost budget: charged what an operation did, settled once it has run", () => {
  const alice = { key: "user:alice", network: "ip:192.0.2.1", site: undefined };
  const ids = (count: number) => ({ data: { products: Array.from({ length: count }, (_, i) => ({ id: `p${i}` })) } });

  it("gives back what the answer did not cost: a page that found nothing spends 1 of its 5,000", async () => {
    const policy = policyWithCostBudget(10_000);
    const [asked] = await policy.admit([costing(5_000)], alice, "http-post");
    await policy.settle(asked!, asked!.charged, { data: { products: [] } });
    // 1 spent: 9,999 are left, and no more (the old budget refused this after the first 5,000).
    await policy.admit([costing(5_000), costing(4_999)], alice, "http-post");
    const refused = await refusal(policy.admit([costing(2)], alice, "http-post"));
    assert.equal(refused.extensions.budget, "cost");
  });

  it("keeps what the answer did cost: a full page spends its whole measure, a short one its items", async () => {
    const policy = policyWithCostBudget(10_000);
    const [full] = await policy.admit([costing(5_000)], alice, "http-post");
    await policy.settle(full!, full!.charged, ids(4_999));
    const [short] = await policy.admit([costing(3_000)], alice, "http-post");
    await policy.settle(short!, short!.charged, ids(999));
    // Spent 5,000 + 1,000 (the list and its 999 ids): 4,000 left.
    await policy.admit([costing(4_000)], alice, "http-post");
    await refusal(policy.admit([costing(2)], alice, "http-post"));
  });

  it("gives back to the network's ceiling too, so ten accounts cannot spend it without doing the work", async () => {
    const policy = policyWithCostBudget(5_000);
    for (let i = 0; i < 10; i++) {
      const [asked] = await policy.admit([costing(5_000)], { key: `user:fresh-${i}`, network: "ip:203.0.113.9", site: undefined }, "http-post");
      await policy.settle(asked!, asked!.charged, { data: { products: [] } });
    }
    await policy.admit([costing(5_000)], { key: "user:fresh-10", network: "ip:203.0.113.9", site: undefined }, "http-post");
  });

  it("gives nothing back for an answer an error cut (resolved work discarded under a null) or that has no data", async () => {
    const policy = policyWithCostBudget(10_000);
    const [cut] = await policy.admit([costing(5_000)], alice, "http-post");
    await policy.settle(cut!, cut!.charged, { data: { products: null }, errors: [{ path: ["products", 3, "id"] }] });
    // 5,000 kept and 20 for the error: 4,980 left.
    const [failed] = await policy.admit([costing(4_980)], alice, "http-post");
    await policy.settle(failed!, failed!.charged, { errors: [{}] });
    await refusal(policy.admit([costing(2)], alice, "http-post"));
  });

  it("keeps the charge of a branch the gateway nulled while completing values, whichever transport settles it", async () => {
    const policy = policyWithCostBudget(10_000);
    const [page] = await policy.admit([costing(4_000)], alice, "websocket");
    // As a WebSocket answer comes: the gateway's nulls in extensions, not in errors.
    await policy.settle(page!, page!.charged, { data: { products: null }, extensions: { valueCompletion: [{ message: "Cannot return null for non-nullable field Product.id.", path: ["products", 0, "id"] }] } });
    await refusal(policy.admit([costing(4_000), costing(2_100)], alice, "http-post"));
  });

  /** A page of `count` products each nulled by its own field's error (a nullable item), as subgraphs answer an argument out of range. */
  const erred = (count: number) => ({
    data: { products: Array.from({ length: count }, () => null) },
    errors: Array.from({ length: count }, (_, i) => ({ message: "width is 1 to 10000 pixels", path: ["products", i] })),
  });

  it("charges each error an answer holds 20 points beyond its measure: making errors spends what it took", async () => {
    const policy = policyWithCostBudget(10_000);
    const [page] = await policy.admit([costing(101)], alice, "http-post");
    await policy.settle(page!, page!.charged, erred(100));
    // The page's 1 (100 nulls cost nothing) and its 100 errors' 2,000: 7,999 left (9,999 before errors were priced).
    await policy.admit([costing(4_000), costing(3_999)], alice, "http-post");
    const refused = await refusal(policy.admit([costing(2)], alice, "http-post"));
    assert.equal(refused.extensions.budget, "cost");
  });

  it("charges errors past what is left, so an answer of errors refuses its caller's next request, and its network's guests' for guests", async () => {
    const policy = policyWithCostBudget(1_000);
    const [page] = await policy.admit([costing(101)], alice, "http-post");
    await policy.settle(page!, page!.charged, erred(100));
    const refused = await refusal(policy.admit([costing(2)], alice, "http-post"));
    assert.equal(refused.code, "RATE_LIMITED");
    assert.equal(refused.extensions.budget, "cost");
    assert.ok(refused.retryAfterSeconds! > 0);
    // A guest's errors come from its network's guests' pool (10,000 here): 6 pages of them spend it.
    const guest = { key: "ip:192.0.2.30", network: "ip:192.0.2.30", site: undefined };
    for (let i = 0; i < 5; i++) {
      const [guestPage] = await policy.admit([costing(101)], guest, "http-post");
      await policy.settle(guestPage!, guestPage!.charged, erred(100));
    }
    assert.equal((await refusal(policy.admit([costing(2)], { ...guest, key: guest.key }, "http-post"))).extensions.budget, "cost");
  });

  it("charges no error a request was refused with, only those placed at a field", async () => {
    const policy = policyWithCostBudget(10_000);
    const [page] = await policy.admit([costing(101)], alice, "http-post");
    await policy.settle(page!, page!.charged, { data: { products: [] }, errors: Array.from({ length: 11 }, () => ({ path: undefined })) });
    await policy.admit([costing(5_000), costing(4_999)], alice, "http-post");
  });

  it("settles each answer of a batch on its own operation, by its text, once", async () => {
    const policy = policyWithCostBudget(10_000);
    const batch = await policy.admit([costing(4_000), costing(4_000), costing(2_000)], alice, "http-post");
    const settle = policy.settlementFor(batch);
    await settle(costing(4_000), { data: { products: [] } });
    await settle(costing(4_000), { data: { products: [] } });
    // A third answer of the same text matches nothing left: no second refund for one operation.
    await settle(costing(4_000), { data: { products: [] } });
    await settle(costing(2_000), ids(1_999));
    // Spent 1 + 1 + 2,000: 7,998 left.
    await policy.admit([costing(4_000), costing(3_998)], alice, "http-post");
    await refusal(policy.admit([costing(2)], alice, "http-post"));
  });
});

describe("cost budget: a batch's copies of one text told apart by their variables", () => {
  const mallory = { key: "user:mallory", network: "ip:192.0.2.66", site: undefined };
  const PAGE = "query Page($n: Int!, $skip: Boolean!) { products(first: $n) @skip(if: $skip) { id } }";

  it("settles a skipped copy's empty answer on the skipped copy, not on the heavy one whose answer comes later", async () => {
    const policy = policyWithCostBudget(10_000);
    const heavy = { query: PAGE, operationName: "Page", variables: { n: 4_000, skip: false } };
    const skipped = { query: PAGE, operationName: "Page", variables: { n: 1, skip: true } };
    const batch = await policy.admit([heavy, skipped], mallory, "http-post");
    const settle = policy.settlementFor(batch);
    // The skipped copy answers at once, with nothing; the heavy one later, with its page.
    await settle(skipped, { data: {} });
    await settle(heavy, { data: { products: Array.from({ length: 3_999 }, (_, i) => ({ id: `p${i}` })) } });
    // The heavy copy keeps its 4,000 (the skipped one's few points are given back): 6,000 or so left, not 10,000.
    await refusal(policy.admit([costing(4_000), costing(2_100)], mallory, "http-post"));
  });
});

describe("signing in is not refused for a network's spent general or cost budget", () => {
  const office = { key: "ip:198.51.100.40", network: "ip:198.51.100.40", site: undefined };
  const LOG_IN = { query: `mutation { logIn(email: "a@example.com", password: "pw") { accessToken } }` };
  const REFRESH = { query: `mutation { refreshToken(refreshToken: "t") { accessToken __typename } }` };

  function policyWithBudgets(charged: string[], generalPerMinute = 3) {
    return createRequestPolicy({
      limits,
      rateLimit: createCallerRateLimiter({ pointsPerMinute: generalPerMinute }),
      networkRateLimit: createCallerRateLimiter({ pointsPerMinute: 30, keyPrefix: "rl:network" }),
      costRateLimit: { perMinute: 10_000, perCaller: createCallerRateLimiter({ pointsPerMinute: 10_000 }), perNetwork: createCallerRateLimiter({ pointsPerMinute: 100_000 }) },
      budgets: {
        charge: async (fields) => {
          for (const [field, runs] of fields) for (let i = 0; i < runs; i++) charged.push(field);
          return { giveBack: async () => {} };
        },
      },
      persisted: (() => ({ ok: true })) as unknown as PersistedOperationCheck,
    });
  }

  it("answers logIn and refreshToken from a network whose guest cost budget someone spent, still charging their own budget", async () => {
    const charged: string[] = [];
    const policy = policyWithBudgets(charged, 100);
    // The network's guests' pool: ten times a caller's 10,000.
    for (let i = 0; i < 10; i++) await policy.admit([costing(5_000), costing(5_000)], office, "http-post");
    assert.equal((await refusal(policy.admit([costing(2)], office, "http-post"))).extensions.budget, "cost");
    await policy.admit([LOG_IN], office, "http-post");
    await policy.admit([REFRESH], office, "http-post");
    assert.deepEqual(charged.filter((f) => f !== "products"), ["logIn", "refreshToken"]);
  });

  it("does not let a sign-in that reads much through the returned user pass a spent budget", async () => {
    const policy = policyWithBudgets([], 100);
    for (let i = 0; i < 10; i++) await policy.admit([costing(5_000), costing(5_000)], office, "http-post");
    const heavy = { query: `mutation { logIn(email: "a@example.com", password: "pw") { accessToken user { ${Array.from({ length: 20 }, (_, i) => `a${i}: addresses { id line1 city }`).join(" ")} } } }` };
    assert.equal((await refusal(policy.admit([heavy], office, "http-post"))).extensions.budget, "cost");
    await policy.admit([LOG_IN], office, "http-post");
  });

  it("refuses a request past a spent general budget without admitting it when its text names no sign-in field, however many variables it carries", async () => {
    let judged = 0;
    const policy = createRequestPolicy({
      limits,
      rateLimit: createCallerRateLimiter({ pointsPerMinute: 1 }),
      networkRateLimit: createCallerRateLimiter({ pointsPerMinute: 30, keyPrefix: "rl:network" }),
      budgets: { charge: async () => ({ giveBack: async () => {} }) },
      persisted: (() => ((judged += 1), { ok: true })) as unknown as PersistedOperationCheck,
    });
    await policy.admit([costing(2)], office, "http-post");
    judged = 0;
    // 9,000 variables: admitting it in full to find it was no sign-in took 8.6 ms per refusal.
    const variables = Object.fromEntries(Array.from({ length: 9_000 }, (_, i) => [`k${i}`, i]));
    const refused = await refusal(policy.admit([{ ...costing(2), variables }], office, "http-post"));
    assert.equal(refused.code, "RATE_LIMITED");
    assert.equal(judged, 0, "nothing of the request was admitted");
    // A sign-in past the same spent budget is still judged, and passes.
    await policy.admit([LOG_IN], office, "http-post");
    assert.equal(judged, 1);
  });

  it("answers logIn once the network's general budget is spent, but not a batch that also browses", async () => {
    const policy = policyWithBudgets([]);
    for (let i = 0; i < 3; i++) await policy.admit([costing(2)], office, "http-post");
    assert.equal((await refusal(policy.admit([costing(2)], office, "http-post"))).code, "RATE_LIMITED");
    await policy.admit([LOG_IN, REFRESH], office, "http-post");
    await refusal(policy.admit([LOG_IN, costing(2)], office, "http-post"));
    await refusal(policy.admit([{ query: `mutation { logIn(email: "a", password: "b") { accessToken } checkout(input: {}) { id } }` }], office, "http-post"));
  });
});

describe("cost budget: planning a text the gateway has not seen is charged", () => {
  const alice = { key: "user:alice", network: "ip:192.0.2.1", site: undefined };

  it("charges an operation whose text the gateway has not planned a planning deposit, and settles it to the planning it took", async () => {
    // Planning is the gateway's work the measure does not see: a new text for every request made
    // the gateway plan every one (45 ms each for 30 products through a fragment, 2 ms planned).
    const prepared = new Set<string>();
    const policy = policyWithCostBudget(40_000, { isPrepared: (query) => prepared.has(query) });
    const [fresh] = await policy.admit([costing(2)], alice, "http-post");
    assert.equal(fresh!.planningDeposit, 20_000);
    const refused = await refusal(policy.admit([{ query: "{ products(first: 2) { id } }" }], alice, "http-post"));
    assert.equal(refused.extensions.budget, "cost", "two new texts hold two deposits");
    // Its planning took 5 ms: 2,000 points of the deposit are kept, the rest given back.
    await policy.settle(fresh!, fresh!.charged, { errors: [{ path: [] }] }, 5);
    const [second] = await policy.admit([{ query: "{ products(first: 2) { id } }" }], alice, "http-post");
    await policy.settle(second!, second!.charged, { errors: [{ path: [] }] }, 0);
    // A text the gateway holds planned is charged its measure alone, however often it is sent.
    prepared.add(costing(2).query);
    for (let i = 0; i < 5; i++) assert.equal((await policy.admit([costing(2)], alice, "http-post"))[0]!.planningDeposit, 0);
    // 2,000 + 4 + 2 + 5 * 2 points spent: a new text's deposit still fits, and not two.
    await policy.admit([{ query: "{ products(first: 3) { id } }" }], alice, "http-post");
    assert.equal((await refusal(policy.admit([{ query: "{ products(first: 4) { id } }" }], alice, "http-post"))).extensions.budget, "cost");
  });

  it("holds a deposit for a text asked by its operation's name and another for it asked without, as the gateway plans each (review)", async () => {
    const policy = policyWithCostBudget(60_000, { isPrepared: () => false });
    const text = "query Named { products(first: 1) { id } }";
    const batch = await policy.admit([{ query: text, operationName: "Named" }, { query: text }], alice, "http-post");
    assert.deepEqual(batch.map((operation) => operation.planningDeposit), [20_000, 20_000]);
  });

  it("gives back the cost of a request a per-field budget refuses after its cost was charged", async () => {
    let searchesLeft = 0;
    // A field budget that refuses once spent, as the search budget does.
    const policy = policyWithCostBudget(10_000, { budgets: { charge: async () => ({ giveBack: async () => {}, ...(searchesLeft-- > 0 ? {} : { refused: { budget: "search" as const, retryAfterSeconds: 60 } }) }) } });
    assert.equal((await refusal(policy.admit([costing(4_000)], alice, "http-post"))).extensions.budget, "search");
    assert.equal((await refusal(policy.admit([costing(4_000)], alice, "http-post"))).extensions.budget, "search");
    searchesLeft = 1;
    // Refused twice, it ran nothing and spent nothing: the whole minute is still there.
    await policy.admit([costing(5_000), costing(5_000)], alice, "http-post");
  });

  it("gives back all an admitted operation was charged, its deposit too, when it is released without running", async () => {
    const prepared = new Set<string>();
    const policy = policyWithCostBudget(40_000, { isPrepared: (query) => prepared.has(query) });
    const [admitted] = await policy.admit([costing(2)], alice, "http-post");
    assert.equal(admitted!.planningDeposit, 20_000);
    await policy.release(admitted!);
    const [again] = await policy.admit([costing(2)], alice, "http-post");
    assert.equal(again!.planningDeposit, 20_000, "no deposit is held for it any more");
    await policy.release(again!);
    prepared.add(costing(5_000).query);
    await policy.admit(Array.from({ length: 8 }, () => costing(5_000)), alice, "http-post");
  });

  it("holds one deposit for a text however many requests of it arrive before it is planned, and another once a refused one let go", async () => {
    // A page asking for 20 products at once, the first time after a deploy: one plan, one deposit.
    const policy = policyWithCostBudget(60_000, { isPrepared: () => false });
    const admitted = await Promise.all(Array.from({ length: 20 }, () => policy.admit([costing(2)], alice, "http-post")));
    assert.deepEqual(admitted.map(([operation]) => operation!.planningDeposit).sort((a, b) => b - a), [20_000, ...Array(19).fill(0)]);
    const batch = await policy.admit([costing(3), costing(3)], alice, "http-post");
    assert.deepEqual(batch.map((operation) => operation.planningDeposit), [20_000, 0], "one deposit for a text twice in a batch");
    // Its holder settled (planned): the next request of it is judged afresh.
    const holder = admitted.map(([operation]) => operation!).find((operation) => operation.planningDeposit > 0)!;
    await policy.settle(holder, holder.charged, { errors: [{ path: [] }] }, 1);
    const bob = { key: "user:bob", network: "ip:198.51.100.7", site: undefined };
    assert.equal((await policy.admit([costing(2)], bob, "http-post"))[0]!.planningDeposit, 20_000);
    // A request refused for its budget holds nothing: the text's next sender pays its deposit.
    const carol = { key: "user:carol", network: "ip:198.51.100.8", site: undefined };
    for (const cost of [4_000, 4_001]) await policy.admit([costing(cost)], carol, "http-post");
    assert.equal((await refusal(policy.admit([costing(9)], carol, "http-post"))).extensions.budget, "cost");
    assert.equal((await policy.admit([costing(9)], { key: "user:dave", network: "ip:198.51.100.9", site: undefined }, "http-post"))[0]!.planningDeposit, 20_000);
  });

  it("cuts a deposit to what a minute's budget leaves beside the measure: no text is made too costly ever to run", async () => {
    // The smallest budget allowed: the most one operation may measure.
    const policy = policyWithCostBudget(5_000, { isPrepared: () => false });
    const [heavy] = await policy.admit([costing(4_500)], alice, "http-post");
    assert.equal(heavy!.planningDeposit, 500);
    const batch = await policy.admit([costing(1_500), costing(2_000)], { key: "user:bob", network: "ip:198.51.100.7", site: undefined }, "http-post");
    assert.deepEqual(batch.map((operation) => operation.planningDeposit), [1_500, 0]);
  });
});

/** The cost budget as the gateway runs it on Redis: leased, its refunds given back to the lease. */
if (process.env.REDIS_URL) {
  describe("cost budget on Redis: leased, not two round trips a request", () => {
    const alice = { key: "user:alice", network: "ip:192.0.2.1", site: undefined };
    const guest = { key: "ip:192.0.2.9", network: "ip:192.0.2.9", site: undefined };
    const ids = (count: number) => ({ data: { products: Array.from({ length: count }, (_, i) => ({ id: `p${i}` })) } });
    let redis: Redis;
    let commands = 0;
    const fresh = () => `rl:cost:test:${randomUUID()}`;
    before(async () => {
      redis = new Redis(process.env.REDIS_URL!);
      const send = redis.sendCommand.bind(redis);
      redis.sendCommand = ((...args: Parameters<Redis["sendCommand"]>) => {
        commands++;
        return send(...args);
      }) as Redis["sendCommand"];
    });
    after(async () => {
      await redis.quit();
    });

    it("asks Redis about once a lease for a guest's product reads, charge and settlement together", async () => {
      const policy = policyWithCostBudget(150_000, { redis, keyPrefix: fresh() });
      const before = commands;
      for (let i = 0; i < 100; i++) {
        const [asked] = await policy.admit([costing(21)], guest, "http-post");
        await policy.settle(asked!, asked!.charged, ids(1));
      }
      // The guests' pool leases 2,000 points; each read keeps 2 of its 21 (the list and its one id);
      // the first round trips also load the limiter's script.
      assert.ok(commands - before <= 10, `${commands - before} Redis commands for 100 reads (it was 200: a charge and a refund each)`);
    });

    it("asks Redis about once a lease for an IPv6 guest's reads too, whose /64 and /48 site are charged together", async () => {
      const ipv6Guest = { key: "ip:2001:db8:5:6::/64", network: "ip:2001:db8:5:6::/64", site: "ip:2001:db8:5::/48" };
      const policy = policyWithCostBudget(150_000, { redis, keyPrefix: fresh() });
      const before = commands;
      for (let i = 0; i < 100; i++) {
        const [asked] = await policy.admit([costing(21)], ipv6Guest, "http-post");
        await policy.settle(asked!, asked!.charged, ids(1));
      }
      // Four leases (the guests' pool and its site, twice for the first round trips' script loads);
      // a refund sent to Redis instead of the lease would be 100 commands more.
      assert.ok(commands - before <= 12, `${commands - before} Redis commands for 100 reads`);
    });

    it("refuses once the minute's cost is spent, whatever its count, and gives back what answers did not cost", async () => {
      const policy = policyWithCostBudget(10_000, { redis, keyPrefix: fresh() });
      const [asked] = await policy.admit([costing(5_000)], alice, "http-post");
      await policy.settle(asked!, asked!.charged, { data: { products: [] } });
      // 1 spent: 9,999 are left, and no more.
      await policy.admit([costing(5_000), costing(4_999)], alice, "http-post");
      const refused = await refusal(policy.admit([costing(2)], alice, "http-post"));
      assert.equal(refused.code, "RATE_LIMITED");
      assert.equal(refused.extensions.budget, "cost");
    });

    it("charges an answer's errors to the shared count past the lease, refusing the caller once overdrawn", async () => {
      const policy = policyWithCostBudget(10_000, { redis, keyPrefix: fresh() });
      const [page] = await policy.admit([costing(101)], alice, "http-post");
      await policy.settle(page!, page!.charged, {
        data: { products: Array.from({ length: 100 }, () => null) },
        errors: Array.from({ length: 100 }, (_, i) => ({ path: ["products", i] })),
      });
      // 2,000 points for the errors and the page's lease: more than any lease holds is refused.
      await policy.admit([costing(4_000), costing(3_500)], alice, "http-post");
      assert.equal((await refusal(policy.admit([costing(2_001)], alice, "http-post"))).extensions.budget, "cost");
    });

    it("takes an answer's error points from the lease that holds them: a refused checkout asks Redis nothing of its own", async () => {
      const policy = policyWithCostBudget(150_000, { redis, keyPrefix: fresh() });
      const refusedCheckout = { data: { products: [null] }, errors: [{ message: "sold out", path: ["products", 0], extensions: { code: "OUT_OF_STOCK" } }] };
      const before = commands;
      for (let i = 0; i < 100; i++) {
        const [asked] = await policy.admit([costing(21)], alice, "http-post");
        await policy.settle(asked!, asked!.charged, refusedCheckout);
      }
      // 21 points an answer (1 for the page, 20 for its error) from leases of 1,500: two leases
      // each for the caller's budget and its network's ceiling, 4 commands. It was two consumes
      // an answer besides: 202.
      assert.ok(commands - before <= 10, `${commands - before} Redis commands for 100 refused answers`);
    });

    it("counts error points taken from a lease as if taken from the shared count: the budget ends at the same point", async () => {
      const policy = policyWithCostBudget(10_000, { redis, keyPrefix: fresh() });
      const [page] = await policy.admit([costing(50)], alice, "http-post");
      await policy.settle(page!, page!.charged, { data: { products: [null] }, errors: [{ path: ["products", 0] }] });
      // 1 for the page and 20 for its error: 9,979 left, every one of them spendable, and no more.
      await policy.admit([costing(5_000), costing(4_979)], alice, "http-post");
      assert.equal((await refusal(policy.admit([costing(1)], alice, "http-post"))).extensions.budget, "cost");
    });

    it("refuses a caller over its budget from memory until the window turns: no Redis command a refusal", async () => {
      const policy = policyWithCostBudget(10_000, { redis, keyPrefix: fresh() });
      await policy.admit([costing(5_000), costing(4_990)], alice, "http-post");
      // The first refusal asks Redis (a lease refused, then the 2,000 points lacking refused);
      await refusal(policy.admit([costing(2_000)], alice, "http-post"));
      const before = commands;
      for (let i = 0; i < 50; i++) assert.equal((await refusal(policy.admit([costing(2_000)], alice, "http-post"))).code, "RATE_LIMITED");
      // (it was 2 commands each: a consume and its reward; 4 for a signed-in caller with its network)
      assert.equal(commands - before, 0, `${commands - before} Redis commands for 50 refusals`);
      // What is still left is still spent: the 10 points the refusals did not touch.
      const [small] = await policy.admit([costing(10)], alice, "http-post");
      assert.ok(small!.charged);
    });

    it("refuses a small budget's caller from memory too, and admits again what this process gave back", async () => {
      const limit = createCallerRateLimiter({ pointsPerMinute: 3, redis, keyPrefix: fresh() });
      const granted = [];
      for (let i = 0; i < 3; i++) granted.push(await limit("ip:192.0.2.44"));
      assert.equal((await limit("ip:192.0.2.44")).allowed, false);
      const before = commands;
      for (let i = 0; i < 20; i++) assert.equal((await limit("ip:192.0.2.44")).allowed, false);
      assert.equal(commands - before, 0, `${commands - before} Redis commands for 20 refusals (it was 2 each)`);
      await limit.refund("ip:192.0.2.44", 1, granted[0]!.windowEndsAt!);
      assert.equal((await limit("ip:192.0.2.44")).allowed, true, "the point given back is spent");
      assert.equal((await limit("ip:192.0.2.44")).allowed, false);
    });

    it("bounds two gateway processes together by the one shared budget", async () => {
      const keyPrefix = fresh();
      const processes = [policyWithCostBudget(10_000, { redis, keyPrefix }), policyWithCostBudget(10_000, { redis, keyPrefix })];
      let admitted = 0;
      for (let i = 0; i < 40; i++) {
        const admission = await processes[i % 2]!.admit([costing(500)], alice, "http-post").then(() => true, () => false);
        if (admission) admitted++;
      }
      assert.ok(admitted <= 20, `${admitted} of 500 points admitted against 10,000`);
      assert.ok(admitted >= 20 - 2 * 2, `refused at most a lease (100) early per process: ${admitted}`);
    });
  });
}
