// How a document sent as `orderStatusChanged` becomes the query re-read on each change: the
// shapes a client may send (an alias, a document of several operations sharing fragments) are
// followed, and a root field that may not be selected is refused at the subscribe.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Kind, parse, print, type DocumentNode, type ExecutionResult } from "graphql";
import { liveOrderResults, planLiveOrder, type LiveOrderPlan } from "../src/subscriptions/live-order-results.js";
import { STATUS_PROBE_ALIAS } from "../src/subscriptions/subscription-to-query.js";
import type { OrderStatusFeed } from "../src/subscriptions/order-status-feed.js";

const plan = (text: string, operationName?: string, variables: Record<string, unknown> = {}) => planLiveOrder(parse(text), operationName, variables);

const planned = (text: string, operationName?: string): LiveOrderPlan => {
  const result = plan(text, operationName);
  assert.ok(!("error" in result), "error" in result ? result.error : "");
  return result;
};

/** The first answer of a stream whose every read answers `data`, with the query it was read by. */
async function firstAnswer(livePlan: LiveOrderPlan, data: (query: DocumentNode) => Record<string, unknown>) {
  const feed = { listen: () => () => undefined } as unknown as OrderStatusFeed;
  const stream = liveOrderResults({
    plan: livePlan,
    variables: {},
    context: { requestId: "r", caller: "user:u1", clientAddress: "127.0.0.1" } as never,
    feed,
    execute: async (request) => ({ data: data(request.query as DocumentNode) }),
    charge: async () => undefined,
    trace: { first: (work) => work(), update: (_cause, work) => work() },
  });
  const { value } = await stream.next();
  await stream.return(undefined);
  return value as ExecutionResult;
}

describe("live order plan", () => {
  it("follows an aliased orderStatusChanged under the client's alias, instead of telling its owner the order is missing", async () => {
    const livePlan = planned('subscription { mine: orderStatusChanged(orderId: "o1") { status } }');
    const answer = await firstAnswer(livePlan, (query) => {
      assert.match(print(query), /mine: order\(id: "o1"\)/);
      return { mine: { status: "PAID", [STATUS_PROBE_ALIAS]: "PAID" } };
    });
    assert.deepEqual(answer, { data: { mine: { status: "PAID" } } });
  });

  it("refuses @skip and @include on orderStatusChanged: a subscription's one field is always selected", () => {
    for (const directive of ["@skip(if: true)", "@include(if: false)", "@include(if: $on)"]) {
      const result = plan(`subscription($on: Boolean!) { orderStatusChanged(orderId: "o1") ${directive} { status } }`, undefined, { on: false });
      assert.ok("error" in result, directive);
      assert.match(result.error, /no directives/);
    }
  });

  it("re-reads with the fragments the subscription spreads, through one another, and not those of the document's other operations", () => {
    const livePlan = planned(
      `query Other { ...OnQuery }
       subscription Follow { orderStatusChanged(orderId: "o1") { ...Line } }
       fragment OnQuery on Query { __typename }
       fragment Line on Order { status ...Ids }
       fragment Ids on Order { id }
       fragment Unused on Order { id }`,
      "Follow",
    );
    const fragments = livePlan.query.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [d.name.value] : []));
    assert.deepEqual(fragments.sort(), ["Ids", "Line"]);
    assert.equal(livePlan.query.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION).length, 1);
  });
});
