// A client whose request names a part otherwise than its operation does (a variable key in
// another case, an operationName off by a letter, variables sent as a JSON string) is told what
// it sent instead, over HTTP and over the WebSocket, where graphql-js said only what was missing.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestSupergraph, type TestSupergraph } from "../support/start-test-supergraph.js";
import { RawGraphQLSocket } from "../support/raw-graphql-websocket.js";

const PRODUCT = `query ProductPage($productId: ID!) { product(id: $productId) { id } }`;

async function sendRaw(url: string, body: Record<string, unknown>) {
  const answer = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return (await answer.json()) as { data?: any; errors?: { message: string; extensions: { code: string } }[] };
}

describe("a request naming its parts otherwise than its operation", () => {
  let sg: TestSupergraph;
  before(async () => {
    sg = await startTestSupergraph();
  });
  after(() => sg.close());

  it("names the variables sent that the operation does not declare, beside the one missing", async () => {
    for (const key of ["productID", "$productId", "product_id"]) {
      const answer = await sendRaw(sg.gatewayUrl, { query: PRODUCT, variables: { [key]: "prod_0000001" } });
      const error = answer.errors![0]!;
      assert.equal(error.extensions.code, "BAD_USER_INPUT");
      assert.match(error.message, /^Variable "\$productId" of required type "ID!" was not provided\./);
      assert.ok(error.message.includes(JSON.stringify(key)), `${key}: ${error.message}`);
    }
    // The declared name works as sent; an absent variable with nothing else sent keeps graphql-js's words.
    assert.equal((await sendRaw(sg.gatewayUrl, { query: PRODUCT, variables: { productId: "prod_0000001" } })).data.product.id, "prod_0000001");
    assert.equal((await sendRaw(sg.gatewayUrl, { query: PRODUCT, variables: {} })).errors![0]!.message, `Variable "$productId" of required type "ID!" was not provided.`);
  });

  it("quotes a few of the names sent, each cut short, however many and long they are", async () => {
    const variables = Object.fromEntries(Array.from({ length: 400 }, (_, index) => [`${"x".repeat(40)}${index}`.repeat(3), index]));
    const message = (await sendRaw(sg.gatewayUrl, { query: PRODUCT, variables })).errors![0]!.message;
    assert.ok(message.length < 600, `${message.length} characters`);
    assert.match(message, /, …, which the operation declares no variable of/);
  });

  it("names the document's operations for an operationName it has none of", async () => {
    const query = `${PRODUCT} query CartPage { cart { id } }`;
    const message = (await sendRaw(sg.gatewayUrl, { query, operationName: "productPage", variables: { productId: "prod_0000001" } })).errors![0]!.message;
    assert.match(message, /no operation named "productPage" \(its operations: "ProductPage", "CartPage"; names match in exact case\)/);
  });

  it("tells variables sent as a string of JSON to be sent as the object", async () => {
    const answer = await sendRaw(sg.gatewayUrl, { query: PRODUCT, variables: JSON.stringify({ productId: "prod_0000001" }) });
    assert.equal(answer.errors![0]!.extensions.code, "BAD_USER_INPUT");
    assert.match(answer.errors![0]!.message, /^variables must be a JSON object, not a string holding one/);
    assert.equal((await sendRaw(sg.gatewayUrl, { query: PRODUCT, variables: [1] })).errors![0]!.message, "variables must be a JSON object");
  });

  it("says the same over the WebSocket", async () => {
    const socket = await RawGraphQLSocket.connect(sg.gatewayUrl);
    try {
      socket.subscribe("misnamed", { query: PRODUCT, variables: { productID: "prod_0000001" } });
      const { error, next } = await socket.result("misnamed");
      const errors = (error?.payload ?? next[0]?.payload?.errors) as { message: string }[];
      assert.match(errors[0]!.message, /was not provided\. The variables sent hold "productID"/);
    } finally {
      socket.close();
    }
  });
});
