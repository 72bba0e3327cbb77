import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { GraphQLError, type GraphQLFormattedError } from "graphql";
import { badInput, createErrorFormatter, createLogger, DomainError, ErrorCode, revealsInternals } from "#kernel";

// What Prisma answered for `order(id: "a\u0000b")` before subgraphs refused such input.
const PRISMA_MESSAGE = [
  "",
  "Invalid `prisma.order.findUnique()` invocation in",
  "/srv/storefront/subgraphs/orders/src/adapters/prisma-order.store.ts:30:38",
  "",
  "  29   async findById(id) {",
  "→ 30     const row = await prisma.order.findUnique(",
  'Database error. Code: `22021`. Message: `invalid byte sequence for encoding "UTF8": 0x00`',
].join("\n");

const DRIVER_MESSAGES = [
  PRISMA_MESSAGE,
  'duplicate key value violates unique constraint "Order_userId_idempotencyKey_key"',
  'new row for relation "StockLevel" violates check constraint "available_not_negative"',
  'syntax error at or near "WHERE"',
  'UPDATE "StockLevel" SET available = available - $1 WHERE "productId" = $2',
  "connect ECONNREFUSED 127.0.0.1:5432",
  "ER_DUP_ENTRY: Duplicate entry 'a@b.c' for key 'User_emailKey_key'",
  "MongoServerError: E11000 duplicate key error collection: storefront.products",
  "TypeError: Cannot read properties of undefined (reading 'id')\n    at resolve (/srv/app/subgraphs/cart/src/resolvers/cart.resolvers.ts:12:5)",
  "at async Promise.all (index 0)\n    at file:///srv/app/kernel/src/graphql/subgraph-client.ts:30:9",
];

/** Messages clients are meant to read, from across the subgraphs and graphql-js. */
const CLIENT_MESSAGES = [
  "An image is a blob path (products/x/1.jpg) or an absolute http(s) URL",
  "This idempotency key was already used for a different checkout; use a new key for a new order",
  "Only 3 units are in stock",
  "A cart holds one currency: this product is priced in EUR, the cart in USD",
  "Give a valid email address",
  'Cannot query field "produkt" on type "Query".',
  'Syntax Error: Unexpected Name "SELECT".',
  'Variable "$id" of required type "ID!" was not provided.',
  "Too many failed log-in attempts; retry in 60 s",
  "Product prod_0000001 was not found",
];

function formatterWithLog(options?: Parameters<typeof createErrorFormatter>[1]) {
  const lines: Record<string, unknown>[] = [];
  const format = createErrorFormatter(createLogger("debug", {}, (line) => lines.push(JSON.parse(line))), options);
  return { format, lines };
}

/** What Apollo hands the formatter for an error a resolver threw at `path`. */
function asFormatted(error: GraphQLError, path: string[] = ["order"]): GraphQLFormattedError {
  return { ...error.toJSON(), path };
}

const serialized = (value: unknown) => JSON.stringify(value);

function assertNoInternals(formatted: GraphQLFormattedError) {
  const body = serialized(formatted);
  for (const leak of ["prisma", "/srv/", "storefront/subgraphs", "Database error", "invalid byte sequence", "ECONNREFUSED", "stacktrace", " at ", "UPDATE \\\"StockLevel"]) {
    assert.ok(!body.includes(leak), `the response leaks ${leak}: ${body}`);
  }
}

describe("the error formatter keeps server internals out of every response", () => {
  it("recognises driver, SQL, stack and path text, and leaves client messages alone", () => {
    for (const message of DRIVER_MESSAGES) assert.ok(revealsInternals(message), message);
    for (const message of CLIENT_MESSAGES) assert.ok(!revealsInternals(message), message);
  });

  it("masks an INTERNAL_SERVER_ERROR whatever its message, and logs the detail", () => {
    const { format, lines } = formatterWithLog();
    const thrown = new Error(PRISMA_MESSAGE);
    const formatted = format({ message: PRISMA_MESSAGE, path: ["order"], extensions: { code: "INTERNAL_SERVER_ERROR", stacktrace: thrown.stack?.split("\n") } }, thrown);
    assert.deepEqual(formatted, { message: "Something went wrong on our side; please try again", path: ["order"], locations: undefined, extensions: { code: "INTERNAL_SERVER_ERROR" } });
    assert.equal(lines[0]?.event, "unexpected error");
    assert.match(String(lines[0]?.error), /invalid byte sequence/);
  });

  it("logs what a non-Error cause says (a subgraph's error object), not [object Object]", () => {
    const { format, lines } = formatterWithLog();
    const fromSubgraph = new GraphQLError("upstream failed", { originalError: { message: "orders said no", extensions: { code: "WEIRD" } } as unknown as Error });
    format(asFormatted(fromSubgraph), fromSubgraph);
    assert.equal(lines[0]?.event, "unexpected error");
    assert.match(String(lines[0]?.error), /orders said no/);
  });

  it("masks an error with a code clients do not know", () => {
    const { format } = formatterWithLog();
    const formatted = format(asFormatted(new GraphQLError("P2002 unique constraint", { extensions: { code: "P2002" } })), undefined);
    assert.equal(formatted.extensions?.code, "INTERNAL_SERVER_ERROR");
    assertNoInternals(formatted);
  });

  for (const message of DRIVER_MESSAGES) {
    it(`keeps the code but withholds a driver's message in a coded error: ${JSON.stringify(message.trim().slice(0, 40))}...`, () => {
      const { format, lines } = formatterWithLog();
      const error = badInput(message, { field: "id" });
      const formatted = format(asFormatted(error), error);
      assert.equal(formatted.extensions?.code, "BAD_USER_INPUT");
      assert.equal(formatted.extensions?.field, "id", "the client-facing details stay");
      assert.equal(formatted.message, "The request could not be completed (BAD_USER_INPUT)");
      assertNoInternals(formatted);
      assert.equal(lines[0]?.event, "error detail withheld from the client");
      assert.deepEqual(lines[0]?.withheld, ["message"]);
    });
  }

  it("drops extensions that carry a stack, a cause or driver text, and keeps the rest", () => {
    const { format, lines } = formatterWithLog();
    const error = new DomainError(ErrorCode.OUT_OF_STOCK, "Only 3 units are in stock", {
      productId: "prod_0000001",
      available: 3,
      cause: "Error: socket hang up",
      sql: 'SELECT * FROM "StockLevel" WHERE "productId" = $1',
      detail: { where: "/srv/app/subgraphs/inventory/src/adapters/prisma-stock-ledger.ts:146:19" },
      trace: "Error: stock row locked\n    at reserve (node:internal/process/task_queues:95:5)",
    });
    const formatted = format({ ...asFormatted(error), extensions: { ...error.extensions, stacktrace: ["Error", "    at x (/srv/a.ts:1:1)"] } }, error);
    assert.deepEqual(formatted.extensions, { code: "OUT_OF_STOCK", productId: "prod_0000001", available: 3 });
    assert.equal(formatted.message, "Only 3 units are in stock");
    assert.deepEqual(lines[0]?.withheld, ["cause", "sql", "detail", "trace", "stacktrace"]);
  });

  it("passes a client's error through unchanged", () => {
    const { format, lines } = formatterWithLog();
    const error = new DomainError(ErrorCode.PRICE_CHANGED, "Prices changed since you added these products", { changes: [{ productId: "prod_0000002", from: 100, to: 120 }] });
    const formatted = format(asFormatted(error, ["checkout"]), error);
    assert.deepEqual(formatted, { message: error.message, path: ["checkout"], extensions: error.extensions });
    assert.equal(lines.length, 0);
  });

  it("logs why a dependency was unavailable, and tells the client only that it was", () => {
    const { format, lines } = formatterWithLog();
    const error = new DomainError(ErrorCode.SERVICE_UNAVAILABLE, "A service this operation needs is unavailable; please retry");
    error.cause = new Error("connect ECONNREFUSED 10.0.0.7:4003");
    const formatted = format(asFormatted(error), error);
    assert.deepEqual(formatted.extensions, { code: "SERVICE_UNAVAILABLE" });
    assert.equal(lines[0]?.event, "dependency unavailable");
    assert.match(String(lines[0]?.error), /caused by: Error: connect ECONNREFUSED 10\.0\.0\.7:4003/);
  });

  // What a resolver threw while the database restarted (a fleet run under load): answered
  // INTERNAL_SERVER_ERROR, a client reads that as final and gives up on a checkout its retry
  // under the same key would have completed.
  const RESTARTING_DATABASE = [
    Object.assign(new Error("\nInvalid `db.cartItem.findMany()` invocation in\n/srv/app/subgraphs/cart/src/adapters/prisma-cart.store.ts:101:35\n\nCan't reach database server at 127.0.0.1:45191"), { code: "P1001" }),
    new Error("Invalid `prisma.$queryRaw()` invocation:\n\nRaw query failed. Code: `57P03`. Message: `the database system is not yet accepting connections`"),
    Object.assign(new Error("terminating connection due to unexpected postmaster exit"), { code: "57P01" }),
    Object.assign(new Error("could not serialize access due to concurrent update"), { code: "40001" }),
    new Error("wrapped", { cause: Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }) }),
    // The search cluster and Redis, as their clients report an outage (real ones in dead-letter-transient.test.ts).
    Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9200"), { name: "ConnectionError", meta: { statusCode: null } }),
    Object.assign(new Error("search_phase_execution_exception"), { name: "ResponseError", meta: { statusCode: 503 } }),
    new Error("Stream isn't writeable and enableOfflineQueue options is false"),
  ];
  for (const thrown of RESTARTING_DATABASE) {
    it(`answers SERVICE_UNAVAILABLE for an unreachable or restarting database: ${JSON.stringify(thrown.message.trim().slice(0, 40))}...`, () => {
      const { format, lines } = formatterWithLog();
      const error = new GraphQLError(thrown.message, { originalError: thrown, extensions: { code: "INTERNAL_SERVER_ERROR" } });
      const formatted = format(asFormatted(error, ["cart"]), error);
      assert.deepEqual(formatted.extensions, { code: "SERVICE_UNAVAILABLE" });
      assert.match(formatted.message, /please retry/);
      assertNoInternals(formatted);
      assert.equal(lines[0]?.event, "dependency unavailable");
      assert.equal(lines[0]?.level, "warn");
    });
  }

  it("still masks a database error that says something about the request as INTERNAL_SERVER_ERROR", () => {
    const { format } = formatterWithLog();
    const thrown = Object.assign(new Error(PRISMA_MESSAGE), { code: "P2010" });
    const error = new GraphQLError(thrown.message, { originalError: thrown, extensions: { code: "INTERNAL_SERVER_ERROR" } });
    assert.deepEqual(format(asFormatted(error), error).extensions, { code: "INTERNAL_SERVER_ERROR" });
  });
});

describe("the error formatter and field suggestions", () => {
  const validation = (message: string): GraphQLFormattedError => ({ message, locations: [{ line: 1, column: 3 }], extensions: { code: "GRAPHQL_VALIDATION_FAILED" } });
  const hints: [string, string][] = [
    ['Cannot query field "produkt" on type "Query". Did you mean "product" or "products"?', 'Cannot query field "produkt" on type "Query".'],
    ['Unknown argument "frist" on field "Query.products". Did you mean "first"?', 'Unknown argument "frist" on field "Query.products".'],
    ['Cannot query field "sku" on type "SearchHit". Did you mean to use an inline fragment on "Product"?', 'Cannot query field "sku" on type "SearchHit".'],
    ['Value "PAIDD" does not exist in "OrderStatus" enum. Did you mean the enum value "PAID"?', 'Value "PAIDD" does not exist in "OrderStatus" enum.'],
    ['Unknown type "Prodct". Did you mean "Product", "ProductEdge", or "ProductConnection"?', 'Unknown type "Prodct".'],
  ];

  it("leaves out every suggestion unless asked for them (production, and subgraphs)", () => {
    const { format } = formatterWithLog();
    for (const [message, stripped] of hints) assert.equal(format(validation(message), undefined).message, stripped);
    const coercion: GraphQLFormattedError = { message: `Variable "$s" got invalid value "PAIDD"; ${hints[3]![0]}`, extensions: { code: "BAD_USER_INPUT" } };
    assert.equal(format(coercion, undefined).message, `Variable "$s" got invalid value "PAIDD"; ${hints[3]![1]}`);
  });

  it("keeps suggestions where they are asked for (the gateway outside production)", () => {
    const { format } = formatterWithLog({ fieldSuggestions: true });
    for (const [message] of hints) assert.equal(format(validation(message), undefined).message, message);
  });
});

describe("the error formatter reads a message in time linear in it", () => {
  it("judges a million characters echoing a client's words, line breaks or hints, and still finds a statement or a hint", async () => {
    // Messages quote what clients send. Each text of the fixture held a thread for minutes to
    // hours (90,000 characters of them took 3.8 to 58 s: a pattern backtracking from every start
    // is quadratic), where a linear reading takes milliseconds: the deadline only tells
    // "finished" from "never".
    const child = spawn(process.execPath, ["--import", "tsx", new URL("./fixtures/judge-error-texts.ts", import.meta.url).pathname], { stdio: ["ignore", "pipe", "inherit"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    const exited = await Promise.race([once(child, "exit"), new Promise((resolve) => setTimeout(resolve, 30_000)).then(() => undefined)]);
    child.kill("SIGKILL");
    assert.ok(exited, "the formatter finished judging");
    assert.deepEqual(JSON.parse(output), { revealsInternals: [false, false, false, false, true, false], hintsLeftAlone: true, hintStripped: " kept" });
  });
});

describe("error messages a client is sent are bounded", () => {
  it("shortens a message quoting a 90,000-digit value to its first 1,000 characters, saying how much was left out, whole characters only", () => {
    const format = createErrorFormatter(createLogger("silent", { service: "test" }));
    const quoted = new GraphQLError(`Int cannot represent non 32-bit signed integer value: ${"9".repeat(90_000)}`, { extensions: { code: "GRAPHQL_VALIDATION_FAILED" } });
    const formatted = format(quoted.toJSON(), quoted);
    assert.equal(formatted.extensions?.code, "GRAPHQL_VALIDATION_FAILED");
    assert.ok(formatted.message.length < 1_100, `${formatted.message.length} characters`);
    assert.match(formatted.message, /^Int cannot represent non 32-bit signed integer value: 9{100}/);
    assert.match(formatted.message, /… \(89054 more characters left out\)$/);
    // A pair cut at the bound would leave half a character: the pair goes whole.
    const emoji = new GraphQLError(`${"x".repeat(999)}😀${"y".repeat(10)}`, { extensions: { code: "BAD_USER_INPUT" } });
    const cut = format(emoji.toJSON(), emoji).message;
    assert.ok(cut.startsWith(`${"x".repeat(999)}…`), cut.slice(990, 1_010));
    const short = new GraphQLError("A search query has at most 200 characters", { extensions: { code: "BAD_USER_INPUT" } });
    assert.equal(format(short.toJSON(), short).message, "A search query has at most 200 characters");
  });
});
