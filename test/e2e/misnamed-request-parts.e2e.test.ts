// A client whose request names a part otherwise than its operation does (a variable key in
// another case, an operationName off by a letter, variables sent as a JSON string) is told what
// it sent instead, over HTTP and over the WebSocket, where graphql-js said only what was missing.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
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

  it("tells a variable used by another name than it is declared with the declared name, beside the unused one", async () => {
    const query = `query ProductPage($productId: ID!) { product(id: $productID) { id } }`;
    const answer = await sendRaw(sg.gatewayUrl, { query, variables: { productId: "prod_0000001" } });
    const [undefinedVariable, unusedVariable] = answer.errors!;
    assert.equal(undefinedVariable!.extensions.code, "GRAPHQL_VALIDATION_FAILED");
    assert.equal(undefinedVariable!.message, `Variable "$productID" is not defined by operation "ProductPage". The operation declares "$productId": a variable is used by the name it is declared with, in exact case.`);
    assert.equal(unusedVariable!.message, `Variable "$productId" is never used in operation "ProductPage".`);
  });

  it("tells a variable used and declared nowhere the declaration to write, with its argument's type", async () => {
    const answer = await sendRaw(sg.gatewayUrl, { query: `query ProductPage { product(id: $productId) { id } }`, variables: { productId: "prod_0000001" } });
    assert.equal(answer.errors![0]!.message, `Variable "$productId" is not defined by operation "ProductPage". Declare it in the operation's variables: query ProductPage($productId: ID!).`);
    const anonymous = await sendRaw(sg.gatewayUrl, { query: `{ products(first: $first) { edges { node { id } } } }` });
    assert.match(anonymous.errors![0]!.message, /Declare it in the operation's variables: query\(\$first: Int\)\.$/);
  });

  it("tells a persisted operation's id sent as documentId, doc_id or id the shape the gateway takes it in, and that shape runs it", async () => {
    const sha256Hash = createHash("sha256").update(PRODUCT).digest("hex");
    for (const key of ["documentId", "doc_id", "id"]) {
      const answer = await sendRaw(sg.gatewayUrl, { [key]: sha256Hash, variables: { productId: "prod_0000001" } });
      assert.equal(answer.errors![0]!.extensions.code, "BAD_USER_INPUT");
      assert.match(answer.errors![0]!.message, new RegExp(`^The request has no query: .* It names its operation by "${key}", which this gateway does not read: send .*"persistedQuery": \\{"version": 1, "sha256Hash"`));
    }
    // As told: the hash under extensions.persistedQuery, with the text when the gateway does not know it.
    const extensions = { persistedQuery: { version: 1, sha256Hash } };
    assert.equal((await sendRaw(sg.gatewayUrl, { extensions, variables: { productId: "prod_0000001" } })).errors![0]!.extensions.code, "PERSISTED_QUERY_NOT_FOUND");
    assert.equal((await sendRaw(sg.gatewayUrl, { query: PRODUCT, extensions, variables: { productId: "prod_0000001" } })).data.product.id, "prod_0000001");
    // A request with no query and no such key keeps its words.
    assert.equal((await sendRaw(sg.gatewayUrl, { variables: {} })).errors![0]!.message, `The request has no query: POST {"query": "{ ... }"} with content-type application/json, or write one in /explorer`);
  });

  it("says the same over the WebSocket", async () => {
    const socket = await RawGraphQLSocket.connect(sg.gatewayUrl);
    try {
      socket.subscribe("misnamed", { query: PRODUCT, variables: { productID: "prod_0000001" } });
      const { error, next } = await socket.result("misnamed");
      const errors = (error?.payload ?? next[0]?.payload?.errors) as { message: string }[];
      assert.match(errors[0]!.message, /was not provided\. The variables sent hold "productID"/);
      socket.subscribe("undeclared", { query: `query ProductPage($productId: ID!) { product(id: $productID) { id } }`, variables: { productId: "prod_0000001" } });
      const undeclared = await socket.result("undeclared");
      const told = (undeclared.error?.payload ?? undeclared.next[0]?.payload?.errors) as { message: string }[];
      assert.match(told[0]!.message, /^Variable "\$productID" is not defined by operation "ProductPage"\. The operation declares "\$productId"/);
      socket.subscribe("by-document-id", { documentId: "0".repeat(64) } as never);
      const byDocumentId = await socket.result("by-document-id");
      const refused = (byDocumentId.error?.payload ?? byDocumentId.next[0]?.payload?.errors) as { message: string }[];
      assert.match(refused[0]!.message, /^The operation has no query\. It names its operation by "documentId"/);
    } finally {
      socket.close();
    }
  });

  it("tells a subscription's variable used by another name the declared name, over the WebSocket", async () => {
    const signedUp = await sendRaw(sg.gatewayUrl, {
      query: `mutation { signUp(input: { name: "Vera", email: "variable-names@example.com", password: "correct horse battery staple" }) { accessToken } }`,
    });
    const socket = await RawGraphQLSocket.connect(sg.gatewayUrl, signedUp.data.signUp.accessToken);
    try {
      socket.subscribe("follow", { query: `subscription Follow($orderId: ID!) { orderStatusChanged(orderId: $orderID) { status } }`, variables: { orderId: "ord_1" } });
      const { error, next } = await socket.result("follow");
      const errors = (error?.payload ?? next[0]?.payload?.errors) as { message: string; extensions: { code: string } }[];
      assert.equal(errors[0]!.extensions.code, "GRAPHQL_VALIDATION_FAILED");
      assert.match(errors[0]!.message, /^Variable "\$orderID" is not defined by operation "Follow"\. The operation declares "\$orderId"/);
    } finally {
      socket.close();
    }
  });
});
